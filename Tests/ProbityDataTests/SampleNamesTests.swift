import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// `/sample_names`: the file each sample was imported from, written by the writer and the
/// image importer, read back by h5py, and checked by the schema.
final class SampleNamesTests: XCTestCase {
    func testNamesRoundTripAndTheSchemaChecksTheirCount() throws {
        let dir = try scratchDirectory()
        let path = dir + "/names.h5"
        let writer = try DatasetWriter(path: path, height: 2, width: 2, channels: 1)
        try writer.append(pixels: [1, 2, 3, 4], label: 0, name: "cat/000001.png")
        try writer.append(pixels: [5, 6, 7, 8], label: 0, name: "dög 2.png")
        try writer.finish(classNames: ["cat"], preprocessing: .unit(channels: 1), description: "", source: "")
        XCTAssertEqual(try Dataset(path: path).sampleNames, ["cat/000001.png", "dög 2.png"])
        let out = try runPython("""
        import h5py
        f = h5py.File('\(path)', 'r')
        print('|'.join(n.decode() if isinstance(n, bytes) else n for n in f['sample_names'][:]))
        """)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "cat/000001.png|dög 2.png")
        // Every sample or none.
        let partial = try DatasetWriter(path: dir + "/partial.h5", height: 1, width: 1, channels: 1)
        try partial.append(pixels: [1], label: 0)
        XCTAssertThrowsError(try partial.append(pixels: [1], label: 0, name: "b.png")) { XCTAssert("\($0)".contains("every sample has a name"), "\($0)") }
        // One name too few is a schema violation naming the path.
        do {
            let f = try HDF5File(path: path, mode: .readWrite)
            try f.remove("/sample_names")
            try f.writeStrings("/sample_names", ["only one"])
            try f.flush()
        }
        XCTAssertThrowsError(try Dataset(path: path)) { XCTAssert("\($0)".contains("/sample_names") && "\($0)".contains("expected 2 names, found 1"), "\($0)") }
    }

    func testImageFolderImportRecordsEachFile() throws {
        let dir = try scratchDirectory()
        for (folder, file) in [("a", "x1.png"), ("b", "y2.png")] {
            try FileManager.default.createDirectory(atPath: "\(dir)/in/\(folder)", withIntermediateDirectories: true)
            try PNGImage(width: 2, height: 2, channels: 1, pixels: [0, 50, 100, 150]).write(to: "\(dir)/in/\(folder)/\(file)")
        }
        var importer = ImageFolderImporter(directory: dir + "/in")
        importer.size = 2
        _ = try importer.run(output: dir + "/out.h5")
        XCTAssertEqual(try Dataset(path: dir + "/out.h5").sampleNames, ["a/x1.png", "b/y2.png"])
    }
}
