import Foundation
import XCTest

/// `probity run SUITE --model M --dataset D`: a preset runs unchanged on another model or
/// dataset (a release candidate, a user's own data); the run records and uses the files given,
/// and a missing one is refused before any work, naming it.
final class RunOverrideTests: XCTestCase {
    func testModelAndDatasetOverridesAreUsedAndRecorded() throws {
        let dir = try CLI.scratch()
        let data = CLI.repository.path + "/datasets/shapes.h5"
        let suite = dir + "/suite.yaml"
        try """
        dataset: \(data)
        model: \(CLI.repository.path)/models/shapes_cnn.onnx
        samples: {split: test, first: 6}
        batch: 3
        explainers: [saliency]
        metrics: [sparseness]
        """.write(toFile: suite, atomically: true, encoding: .utf8)
        let shuffled = CLI.repository.path + "/models/shapes_cnn_shuffled.onnx"
        let base = try CLI.run(["run", suite, "--out", dir + "/base", "--quiet"])
        XCTAssertEqual(base.status, 0, base.stderr)
        let other = try CLI.run(["run", suite, "--out", dir + "/other", "--model", shuffled, "--quiet"])
        XCTAssertEqual(other.status, 0, other.stderr)
        func run(_ out: String) throws -> [String: Any] {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any])
        }
        XCTAssertEqual((try run(dir + "/other")["model"] as? [String: Any])?["path"] as? String, shuffled)
        XCTAssertEqual((try run(dir + "/base")["model"] as? [String: Any])?["path"] as? String, CLI.repository.path + "/models/shapes_cnn.onnx")
        // Another model's gradients give other sparseness scores on the same samples.
        let a = try String(contentsOfFile: dir + "/base/per_sample.csv", encoding: .utf8)
        let b = try String(contentsOfFile: dir + "/other/per_sample.csv", encoding: .utf8)
        XCTAssertEqual(a.split(separator: "\n").count, b.split(separator: "\n").count)
        XCTAssertNotEqual(a, b)
        // Missing files: exit 2, one line naming the file and the option, nothing written.
        for (option, file) in [("--model", dir + "/nope.onnx"), ("--dataset", dir + "/nope.h5")] {
            let r = try CLI.run(["run", suite, "--out", dir + "/bad", option, file])
            XCTAssertEqual(r.status, 2, r.stderr)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssert(lines.first?.hasPrefix("probity: error:") == true && r.stderr.contains(file) && r.stderr.contains(option), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad"))
        }
    }
}
