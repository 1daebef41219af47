import Foundation
import XCTest
@testable import ProbityHarness

/// `probity bench --json` writes the keys issue 16 names, every one a number (explainers an
/// object of numbers), and the table has a row for every figure. Timings are never asserted:
/// performance is measured by `probity bench`, not by unit tests. The shapes CNN (64 px) with
/// one repetition and two explainers keeps this to a few seconds.
final class BenchmarkSchemaTests: XCTestCase {
    func testJSONHasTheIssueKeysAsNumbers() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        var bench = Benchmark(modelPath: repository + "/models/shapes_cnn.onnx", datasetPath: repository + "/datasets/shapes.h5")
        bench.repetitions = 1
        bench.explainers = ["saliency", "occlusion"]
        let report = try bench.run()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: report.figures.json()) as? [String: Any])
        XCTAssertEqual(Set(object.keys), Set(Benchmark.Figures.keys))
        XCTAssertEqual(Benchmark.Figures.keys.count, 13)
        for key in Benchmark.Figures.keys where key != "explainer_seconds_per_image" {
            let value = try XCTUnwrap(object[key] as? NSNumber, key)
            XCTAssertTrue(value.doubleValue.isFinite, key)
        }
        let explainers = try XCTUnwrap(object["explainer_seconds_per_image"] as? [String: NSNumber])
        XCTAssertEqual(Set(explainers.keys), ["saliency", "occlusion"])
        // The table names every stage; each figure is a median of its repetitions.
        let table = BenchmarkTable.text(report)
        for figure in ["sgemm n=1024", "sgemm at the model's shapes", "forward, batch 1", "forward, batch 32", "forward+backward, batch 32",
                       "saliency", "occlusion forwards/s", "deletion + insertion forwards/s", "1 → "] {
            XCTAssertTrue(table.contains(figure), figure)
        }
        XCTAssertTrue(report.rows.allSatisfy { !$0.value.values.isEmpty })
    }

    func testMedianAndSpread() {
        let m = Measured([3, 1, 2, 10])
        XCTAssertEqual(m.median, 2.5)
        XCTAssertEqual(m.low, 1)
        XCTAssertEqual(m.high, 10)
        XCTAssertEqual(m.spread, 9 / 2.5)
        XCTAssertEqual(Measured([4, 1, 2]).median, 2)
    }
}
