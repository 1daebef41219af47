import Foundation
import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityMetrics

/// Pointing game, relevance mass and rank, and mask ROC AUC on hand-made maps and regions.
final class LocalizationTests: XCTestCase {
    /// A metric input with given maps and regions on an h × w image (the model is not used).
    func input(_ maps: [[Float]], _ regions: [[Bool]], h: Int, w: Int) -> MetricInput {
        MetricInput(x: Tensor(shape: [maps.count, 1, h, w]), maps: Tensor(shape: [maps.count, h, w], storage: maps.flatMap { $0 }),
                    targets: .init(repeating: 0, count: maps.count), preprocessing: .unit(channels: 1), regions: regions)
    }

    func box(h: Int, w: Int, x0: Int, y0: Int, x1: Int, y1: Int) -> [Bool] {
        (0..<(h * w)).map { p in (x0..<x1).contains(p % w) && (y0..<y1).contains(p / w) }
    }

    func testPointingGameHitsWithinTheToleranceAndScoresEnergy() throws {
        let (h, w) = (20, 20)
        var peak = [Float](repeating: 0, count: h * w)
        peak[5 * w + 5] = 4; peak[5 * w + 6] = 1; peak[15 * w + 15] = 3      // maximum at (y 5, x 5)
        let near = box(h: h, w: w, x0: 8, y0: 5, x1: 12, y1: 9)                // nearest pixel 3 px away
        let model = try LinearModel.make(w: .init(repeating: 0, count: 2 * h * w), b: [0, 0], height: h, width: w)
        let r3 = try PointingGame(["tolerance": "3"]).evaluate(input([peak], [near], h: h, w: w), model: model)
        XCTAssertEqual(r3.scores, [0])                                          // distance² 9 is not < 9
        let r4 = try PointingGame(["tolerance": "3.01"]).evaluate(input([peak], [near], h: h, w: w), model: model)
        XCTAssertEqual(r4.scores, [1])
        // Energy: positive mass inside the box: the 1 at (5, 6)? no — x 6 < 8: 0 of 8; the box around (15, 15): 3 of 8.
        let far = box(h: h, w: w, x0: 14, y0: 14, x1: 17, y1: 17)
        let e = try PointingGame().evaluate(input([peak, peak], [near, far], h: h, w: w), model: model)
        XCTAssertEqual(e.variants[0].name, "energy")
        XCTAssertEqual(e.variants[0].scores, [0, 3.0 / 8])
        // Tolerance auto: 15 px at 224, so 15·20/224 ≈ 1.34 here: a miss at distance 3.
        XCTAssertEqual(e.scores, [0, 0])
        // No ground truth: nan; constant map: constant.
        let empty = try PointingGame().evaluate(input([peak, [Float](repeating: 1, count: h * w)], [[Bool](repeating: false, count: h * w), far], h: h, w: w), model: model)
        XCTAssertEqual(empty.status, ["nan", "constant"])
        XCTAssertThrowsError(try PointingGame(["tolerance": "near"])) { XCTAssert("\($0)".contains("pointing_game: tolerance")) }
        XCTAssertThrowsError(try Deletion(["step": "0"])) { XCTAssert("\($0)".contains("deletion: step")) }
        XCTAssertThrowsError(try MoRF(["patch": "-3"])) { XCTAssert("\($0)".contains("morf: patch")) }
        XCTAssertThrowsError(try FaithfulnessCorrelation(["subset": "half"])) { XCTAssert("\($0)".contains("faithfulness_correlation: subset")) }
        XCTAssertThrowsError(try PointingGame().evaluate(MetricInput(x: Tensor(shape: [1, 1, h, w]), maps: Tensor(shape: [1, h, w]), targets: [0], preprocessing: .unit(channels: 1)), model: model)) {
            XCTAssert("\($0)".contains("needs ground truth"))
        }
    }

    func testRelevanceMassRankAndROCAUCByHand() throws {
        let (h, w) = (2, 3)
        let map: [Float] = [3, -1, 2, 0.5, 1, -2]
        let region = [true, true, false, false, true, false]                   // pixels 0, 1, 4
        let model = try LinearModel.make(w: .init(repeating: 0, count: 2 * h * w), b: [0, 0], height: h, width: w)
        let i = input([map], [region], h: h, w: w)
        // Positive relevance: 3 + 2 + 0.5 + 1 = 6.5, inside 3 + 1 = 4.
        XCTAssertEqual(try RelevanceMass().evaluate(i, model: model).scores[0], 4 / 6.5, accuracy: 1e-6)
        // Top-3 pixels: 0 (3), 2 (2), 4 (1) → 2 of 3 inside.
        XCTAssertEqual(try RelevanceRank().evaluate(i, model: model).scores[0], 2.0 / 3, accuracy: 1e-6)
        // AUC: inside {3, −1, 1} vs outside {2, 0.5, −2}: pairs won 3>2, 3>0.5, 3>−2, −1>−2, 1>0.5, 1>−2 = 6 of 9.
        XCTAssertEqual(try MaskROCAUC().evaluate(i, model: model).scores[0], 6.0 / 9, accuracy: 1e-6)
    }
}
