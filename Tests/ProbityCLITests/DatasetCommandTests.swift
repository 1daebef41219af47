import Foundation
import XCTest
import ProbityData

final class DatasetCommandTests: XCTestCase {
    func testInfoOnCommittedPhotos() throws {
        let r = try CLI.run(["dataset", "info", "datasets/photos.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("datasets/photos.h5: 8 images of 224×224×3"), r.stdout)
        XCTAssert(r.stdout.contains("285\tEgyptian Mau\t1"), r.stdout)
        let json = try CLI.run(["dataset", "info", "datasets/photos.h5", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["count"] as? Int, 8)
        XCTAssertEqual(object?["input_offset"] as? [Double], [-1, -1, -1])
    }

    func testSynthImportValidateRoundTrip() throws {
        let dir = try CLI.scratch()
        var r = try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/s.h5", "--count", "12", "--size", "32", "--seed", "3", "--spurious", "0.5", "--test-fraction", "0.25"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try CLI.run(["dataset", "validate", dir + "/s.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("valid (schema 1)"))
        // Same seed, same bytes of images: determinism across runs.
        r = try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/t.h5", "--count", "12", "--size", "32", "--seed", "3", "--spurious", "0.5", "--test-fraction", "0.25"])
        XCTAssertEqual(try Dataset(path: dir + "/s.h5").pixels(0..<12), try Dataset(path: dir + "/t.h5").pixels(0..<12))
    }

    /// Bad input: one line naming the file and the problem, exit status 2, nothing half-written.
    func testBadInputExitsWithStatus2AndNamesTheFile() throws {
        let dir = try CLI.scratch()
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/bad.h5"))
        try FileManager.default.createDirectory(atPath: dir + "/imgs", withIntermediateDirectories: true)
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]).write(to: URL(fileURLWithPath: dir + "/imgs/broken.png"))
        let cases: [([String], String)] = [
            (["dataset", "info", dir + "/missing.h5"], dir + "/missing.h5: no such file"),
            (["dataset", "info", dir + "/bad.h5"], dir + "/bad.h5: not an HDF5 file"),
            (["dataset", "validate", dir + "/bad.h5"], dir + "/bad.h5: not an HDF5 file"),
            (["dataset", "import-images", dir + "/imgs", "--out", dir + "/o.h5"], dir + "/imgs/broken.png"),
            (["dataset", "import-images", dir + "/imgs", "--out", dir + "/o.h5", "--labels", dir + "/nolabels.csv"], dir + "/nolabels.csv: no such file"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssert(r.stderr.hasPrefix("probity: error: "), r.stderr)
            XCTAssert(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"))
    }

    func testValidateListsEveryViolation() throws {
        let dir = try CLI.scratch()
        let path = dir + "/v.h5"
        try FileManager.default.copyItem(atPath: CLI.repository.appendingPathComponent("Tests/Fixtures/h5py_dataset.h5").path, toPath: path)
        do {
            let f = try HDF5File(path: path, mode: .readWrite)
            try f.write("/labels", [0, 1, 7, 1, 0] as [Int64], shape: [5])
            try f.write("/masks", [UInt8](repeating: 2, count: 5 * 8 * 6), shape: [5, 8, 6])
        }
        let r = try CLI.run(["dataset", "validate", path])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stdout.contains("/labels: label 7 of sample 2 is out of range"), r.stdout)
        XCTAssert(r.stdout.contains("/masks: expected values 0 or 1, found 2"), r.stdout)
        XCTAssert(r.stderr.contains("2 schema violations"), r.stderr)
    }
}
