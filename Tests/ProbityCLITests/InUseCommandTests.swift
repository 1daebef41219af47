import Foundation
import XCTest
import ProbityData

/// A cache another command is writing is "in use by another probity process", never a
/// "truncated or damaged file": whether the other side holds the cache's lock (a second
/// `probity explain` on the same file) or the HDF5 file lock (a file open for writing).
final class InUseCommandTests: XCTestCase {
    func explain(_ dir: String) throws -> CommandResult {
        try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--explainer", "saliency",
                     "--indices", "0..3", "--out", dir + "/a.h5", "--quiet"])
    }

    func testALockedCacheIsInUseNotDamaged() throws {
        let dir = try CLI.scratch()
        XCTAssertEqual(try explain(dir).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.h5.lock"), "the lock file goes when explain ends")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.h5"))

        // Another explain holds the cache's lock (here: this test, as that process would).
        let descriptor = open(dir + "/a.h5.lock", O_CREAT | O_RDWR, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        _ = "4242\n".withCString { write(descriptor, $0, 5) }
        var r = try explain(dir)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: \(dir)/a.h5: in use by another probity process (pid 4242); wait for it to finish or use another --out\n")

        // The HDF5 file itself is open for writing elsewhere: HDF5's file lock refuses the open.
        do {
            let writer = try HDF5File(path: dir + "/a.h5", mode: .readWrite)
            r = try explain(dir)
            writer.close()
        }
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: \(dir)/a.h5: in use by another probity process or program (it holds the HDF5 file lock); wait for it to finish\n")
        XCTAssertFalse(r.stderr.contains("damaged"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.h5")), before, "nothing written to the cache")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.h5.journal"))

        // Once released, the same command runs.
        XCTAssertEqual(try explain(dir).status, 0)
    }
}
