import Foundation
import XCTest
@testable import ProbityHarness
import ProbityCore
import ProbityMetrics

/// A score `skipped` (the sample is outside a variant's subset, e.g. the pointing game's
/// `difficult`) is kept in the store but has no row in `per_sample.csv` and enters no mean,
/// interval, test or per-class mean; the main variant keeps every sample.
final class SkippedScoreTests: XCTestCase {
    func testSkippedScoresHaveNoRowAndNoWeight() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-skipped-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = ScoreStore(path: dir + "/scores.h5")
        let metric = "pointing_game@difficult=ebp"
        try store.prepare(metric: metric, explainer: "e", count: 4, context: "c")
        // Samples 0…3, variants "" and "difficult": hits 1, 0, 1, 0; difficult only on 1 and 2.
        try store.store(metric: metric, explainer: "e", ScoreStore.Batch(samples: [0, 1, 2, 3], variants: ["", "difficult"],
                                                                      values: [1, .nan, 0, 0, 1, 1, 0, .nan],
                                                                      status: ["ok", "skipped", "ok", "ok", "ok", "ok", "ok", "skipped"], curves: nil, seconds: 0))
        try store.commit()
        XCTAssertEqual(try store.entry(metric: metric, explainer: "e")?.status(0, 1), "skipped")
        let columns = [Aggregation.MetricColumn(key: metric, name: "pointing_game", higherIsBetter: true, perClassVariants: ["", "difficult"])]
        let outcome = try Aggregation(store: store, explainers: ["e"], metrics: columns, samples: [0, 1, 2, 3], labels: [0, 0, 1, 1], seed: 0).write(to: dir + "/out")
        let perSample = try String(contentsOfFile: dir + "/out/per_sample.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(perSample.filter { $0.contains(",difficult,") }.map { $0.split(separator: ",")[3] }, ["1", "2"])
        XCTAssertEqual(perSample.filter { $0.contains(",pointing_game,,") }.count, 4)
        XCTAssertFalse(perSample.contains { $0.hasSuffix(",skipped") })
        XCTAssertEqual(outcome.rows, 6)
        let row = { (v: String) in outcome.summary.first { $0.variant == v } }
        XCTAssertEqual(row("")?.mean, 0.5); XCTAssertEqual(row("")?.n, 4)
        XCTAssertEqual(row("difficult")?.mean, 0.5); XCTAssertEqual(row("difficult")?.n, 2)
        XCTAssertEqual(row("difficult/per_class")?.mean, 0.5)       // class 0: sample 1 (0); class 1: sample 2 (1)
        XCTAssertEqual(row("per_class")?.mean, 0.5)
    }
}
