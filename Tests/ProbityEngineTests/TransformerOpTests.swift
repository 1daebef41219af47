import XCTest
import ProbityCore
@testable import ProbityEngine

/// The ops vision transformers and ConvNeXt bring: values against closed forms, vector-Jacobian
/// products against central finite differences, and LayerNorm's LRP rule (Ali et al. 2022)
/// against its conservation property.
final class TransformerOpTests: XCTestCase {
    /// erf(0.5) = 0.5204998778, GELU(1) = 0.8413447461 (exact) and 0.8411919906 (tanh form),
    /// √2, e, log 2, and x² for Pow(x, 2).
    func testUnaryValues() {
        XCTAssertEqual(Unary.value(.erf, 0.5), 0.5204998778, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.gelu(tanh: false), 1), 0.8413447461, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.gelu(tanh: true), 1), 0.8411919906, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.sqrt, 2), 1.4142135624, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.exp, 1), 2.7182818285, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.log, 2), 0.6931471806, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.pow(2), -3), 9)
        XCTAssertEqual(Unary.value(.pow(0.5), 4), 2, accuracy: 1e-6)
        XCTAssertEqual(Unary.value(.reciprocal, 4), 0.25)
    }

    func testUnaryGradients() throws {
        var rng = RNG(seed: 31)
        let kinds: [Unary.Kind] = [.erf, .gelu(tanh: false), .gelu(tanh: true), .sqrt, .exp, .log, .neg, .abs, .reciprocal, .pow(2), .pow(3), .pow(0.5)]
        for kind in kinds {
            var x = rng.normalTensor(shape: [2, 3, 4], std: 1)
            let positive: Bool
            switch kind { case .sqrt, .log, .pow(0.5): positive = true; default: positive = false }
            for i in 0..<x.count {
                if positive { x.storage[i] = 0.5 + abs(x.storage[i]) }
                if abs(x.storage[i]) < 0.2 { x.storage[i] += x.storage[i] < 0 ? -0.3 : 0.3 }   // away from abs's kink and 1/x's pole
            }
            try GradientCheck.check(Unary(kind), [x], step: 1e-3, tolerance: 5e-3, "\(kind)")
        }
    }

    /// ONNX's LayerNormalization example by hand: a row [1, 2, 3, 4] has mean 2.5, variance 1.25.
    func testLayerNormValues() throws {
        let x = Tensor(shape: [1, 4], storage: [1, 2, 3, 4])
        let scale = Tensor(shape: [4], storage: [1, 2, 1, 1]), bias = Tensor(shape: [4], storage: [0, 0, 0, 1])
        let inv = 1 / (1.25 + 1e-5).squareRoot()
        let y = GradientCheck.forward(LayerNorm(axis: -1, epsilon: 1e-5), [x, scale, bias], outShape: [1, 4], context: ExecutionContext(threads: 1))
        for (i, want) in [Float(-1.5 * inv), Float(-0.5 * inv * 2), Float(0.5 * inv), Float(1.5 * inv + 1)].enumerated() { XCTAssertEqual(y.storage[i], want, accuracy: 1e-6) }
        let mean = GradientCheck.forward(LayerNorm(part: .mean), [x, scale], outShape: [1, 1], context: ExecutionContext(threads: 1))
        let invStd = GradientCheck.forward(LayerNorm(part: .inverseStandardDeviation), [x, scale], outShape: [1, 1], context: ExecutionContext(threads: 1))
        XCTAssertEqual(mean.storage, [2.5]); XCTAssertEqual(invStd.storage[0], Float(inv), accuracy: 1e-6)
    }

    /// Y over the last axis, over the last two, with a broadcast scale; Mean and InvStdDev.
    func testLayerNormGradients() throws {
        var rng = RNG(seed: 32)
        let x = rng.normalTensor(shape: [2, 3, 6], std: 1.5)
        try GradientCheck.check(LayerNorm(axis: -1), [x, rng.normalTensor(shape: [6]), rng.normalTensor(shape: [6])], step: 1e-3, tolerance: 5e-3, "axis -1")
        try GradientCheck.check(LayerNorm(axis: 1, epsilon: 1e-3), [x, rng.normalTensor(shape: [3, 6]), rng.normalTensor(shape: [6])], step: 1e-3, tolerance: 5e-3, "axis 1")
        try GradientCheck.check(LayerNorm(axis: -1, part: .mean), [x, rng.normalTensor(shape: [6])], wrt: [0], step: 1e-3, tolerance: 5e-3, "mean")
        try GradientCheck.check(LayerNorm(axis: -1, part: .inverseStandardDeviation), [x, rng.normalTensor(shape: [6])], wrt: [0], step: 1e-3, tolerance: 5e-3, "inverse std")
    }

    /// LN-rule: with no bias the relevance reaching x sums to the relevance of y, row by row (ε → 0);
    /// with a bias it sums to Σ R_i·(y_i − b_i)/y_i.
    func testLayerNormRelevanceIsConserved() {
        var rng = RNG(seed: 33)
        let x = rng.normalTensor(shape: [3, 8], std: 2)
        let scale = rng.normalTensor(shape: [8]), bias = rng.normalTensor(shape: [8], std: 0.3)
        let relevance = rng.normalTensor(shape: [3, 8])
        let rule = NodeRule(activation: .gradient, linear: .epsilon(0), lrp: true, stabilizer: 1e-9)
        let context = ExecutionContext(threads: 1)
        let noBias = GradientCheck.analytic(LayerNorm(), [x, scale], dy: relevance, rule: rule, context: context)[0]
        let withBias = GradientCheck.analytic(LayerNorm(), [x, scale, bias], dy: relevance, rule: rule, context: context)[0]
        let y = GradientCheck.forward(LayerNorm(), [x, scale, bias], outShape: [3, 8], context: context)
        for r in 0..<3 {
            let row = (r * 8)..<((r + 1) * 8)
            let into = row.reduce(Float(0)) { $0 + relevance.storage[$1] }
            XCTAssertEqual(row.reduce(Float(0)) { $0 + noBias.storage[$1] }, into, accuracy: 1e-4 * max(1, abs(into)))
            let share = row.reduce(Float(0)) { $0 + relevance.storage[$1] * (y.storage[$1] - bias.storage[$1 % 8]) / y.storage[$1] }
            XCTAssertEqual(row.reduce(Float(0)) { $0 + withBias.storage[$1] }, share, accuracy: 1e-3 * max(1, abs(share)))
        }
    }
}
