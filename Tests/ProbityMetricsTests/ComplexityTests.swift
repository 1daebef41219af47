import Foundation
import XCTest
import ProbityCore
@testable import ProbityMetrics

/// Sparseness and complexity against closed forms and SciPy's values.
final class ComplexityTests: XCTestCase {
    func testGiniClosedForms() {
        XCTAssertEqual(Sparseness.gini([1, 1, 1, 1]), 0, accuracy: 1e-12)
        // One of n non-zero: (n − 1)/n up to the 1e-7 offset.
        XCTAssertEqual(Sparseness.gini([0, 0, 0, 5]), 0.75, accuracy: 1e-6)
        // [1, 2, 3, 4]: Σ(2i − 5)·aᵢ = −3 − 2 + 3 + 12 = 10 → 10 / (4 · 10) = 0.25; signs do not matter.
        XCTAssertEqual(Sparseness.gini([4, -1, 3, 2]), 0.25, accuracy: 1e-6)
    }

    /// Issue 14: Quantus divides |map| by its maximum before adding 1e-7, so the score does not
    /// depend on the map's scale. Quantus `Sparseness` (abs, normalise_by_max) on
    /// [1e-7, 0, 0, 0] gives 0.7499997 (3 / (4 · (1 + 4e-7))); the old code gave 0.15.
    func testGiniIsScaleFreeAsQuantus() throws {
        XCTAssertEqual(Sparseness.gini([1e-7, 0, 0, 0]), 3 / (4 * (1 + 4e-7)), accuracy: 1e-9)
        XCTAssertEqual(Sparseness.gini([0, 0, 0, 5]), 3 / (4 * (1 + 4e-7)), accuracy: 1e-9)
        var rng = RNG(seed: 14)
        let map = (0..<400).map { _ in Float.random(in: -1...1, using: &rng) }
        let g = Sparseness.gini(map)
        for scale: Float in [1e-6, 1e-3, 1e3] {
            XCTAssertEqual(Sparseness.gini(map.map { $0 * scale }), g, accuracy: 1e-6, "scale \(scale)")
        }
        XCTAssertEqual(Sparseness.gini([0, 0, 0]), 0, accuracy: 1e-12)   // an all-zero map stays zero: flat
        for metric in ["sparseness", "complexity"] {
            XCTAssertThrowsError(try MetricRegistry.make(metric, options: ["sign": "signed"])) { error in
                XCTAssert("\(error)".contains("sign must be one of abs, positive"), "\(error)")
            }
        }
    }

    func testEntropyMatchesSciPy() {
        XCTAssertEqual(Complexity.entropy([2, 2, 2, 2]), log(4), accuracy: 1e-12)
        XCTAssertEqual(Complexity.entropy([0, 0, 7, 0]), 0, accuracy: 1e-12)
        // scipy.stats.entropy([1, 2, 3, 4]) = 1.2798542258336676
        XCTAssertEqual(Complexity.entropy([1, -2, 3, 4]), 1.2798542258336676, accuracy: 1e-12)
        XCTAssert(Complexity.entropy([0, 0]).isNaN)
    }

    func testStatusAndSign() throws {
        let input = MetricInput(x: Tensor(shape: [2, 1, 2, 2]), maps: Tensor(shape: [2, 2, 2], storage: [1, 1, 1, 1, -4, 0, 0, 1]),
                                targets: [0, 0], preprocessing: .unit(channels: 1))
        let model = try XCTUnwrap(Optional(NoModel()))
        let sparse = try Sparseness().evaluate(input, model: model)
        XCTAssertEqual(sparse.status, ["constant", "ok"])
        let positive = try Sparseness(["sign": "positive"]).evaluate(input, model: model)
        XCTAssertEqual(Double(positive.scores[1]), Sparseness.gini([0, 0, 0, 1]), accuracy: 1e-6)
        XCTAssertEqual(Double(try Complexity().evaluate(input, model: model).scores[1]), Complexity.entropy([4, 0, 0, 1]), accuracy: 1e-6)
    }
}

import ProbityEngine
/// Map-only metrics never call the model.
final class NoModel: Model, @unchecked Sendable {
    var inputShape: [Int] { [1, 2, 2] }
    func logits(_ x: Tensor) throws -> Tensor { XCTFail("model called"); return Tensor(shape: [x.shape[0], 1]) }
    func backward(_ x: Tensor, rule: BackwardRule, hooks: [String], seed: (Tensor, Range<Int>) throws -> Tensor) throws -> ModelGradients {
        XCTFail("model called"); return ModelGradients(logits: Tensor(shape: [1, 1]), input: x)
    }
    var layers: [String] { [] }
    func nodeOutputs() throws -> [(name: String, shape: [Int])] { [] }
    func randomized(layers: [String], seed: UInt64) throws -> Model { self }
}
