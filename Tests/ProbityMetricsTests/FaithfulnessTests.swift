import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityExplainers
@testable import ProbityMetrics

/// Region perturbation, ROAD, faithfulness correlation and infidelity against closed forms on
/// linear models (logit = b + Σ w_i·x_i).
final class FaithfulnessTests: XCTestCase {
    let w: [Float] = [1, 2, -3, 0.5, /* class 1 */ 0.2, -1, 1, 2], b: [Float] = [0.25, -0.5]
    let x = Tensor(shape: [1, 1, 2, 2], storage: [2, -1, 0.5, 4])

    func testMoRFAndLeRFAOPCMatchTheClosedForm() throws {
        let model = try LinearModel.make(w: w, b: b, height: 2, width: 2)
        let map = Tensor(shape: [1, 2, 2], storage: [0.5, 2, -1, 0.1])       // descending: 1, 0, 3, 2
        let input = MetricInput(x: x, maps: map, targets: [0], preprocessing: .unit(channels: 1))
        let c = (0..<4).map { w[$0] * x.storage[$0] }
        let full = c.reduce(0, +) + b[0]
        func aopc(_ order: [Int]) -> Float {
            var f = full, drops: Float = 0
            for p in order { f -= c[p]; drops += full - f }
            return drops / Float(order.count + 1)
        }
        let options = ["patch": "1", "substrate": "zero", "steps": "4"]
        let morf = try MoRF(options).evaluate(input, model: model)
        XCTAssertEqual(morf.scores[0], aopc([1, 0, 3, 2]), accuracy: 1e-5)
        XCTAssertEqual(morf.curves![0].count, 5)
        let lerf = try LeRF(options).evaluate(input, model: model)
        XCTAssertEqual(lerf.scores[0], aopc([2, 3, 0, 1]), accuracy: 1e-5)
        // Steps stop early: L = 2 → AOPC over 3 frames.
        let two = try MoRF(options.merging(["steps": "2"]) { $1 }).evaluate(input, model: model)
        XCTAssertEqual(two.scores[0], ((full - (full - c[1])) + (full - (full - c[1] - c[0]))) / 3, accuracy: 1e-5)
        // Patches tile the image; edge patches are smaller; sums rank them.
        XCTAssertEqual(RegionPerturbation.patches(height: 3, width: 3, side: 2), [[0, 1, 3, 4], [2, 5], [6, 7], [8]])
        XCTAssertEqual(try RegionPerturbation.patch(try MoRF().options, width: 224), 9)
        XCTAssertEqual(try RegionPerturbation.patch(try MoRF().options, width: 64), 3)
    }

    func testNoisyLinearImputationSolvesTheNeighbourEquations() {
        let v: [Float] = [0, 0, 3, 5]                                          // 2×2; (1,0) = 3, (1,1) = 5
        var rng = RNG(seed: 1, stream: ["t"])
        // One hole at (0,0): weights 1/6 (right), 1/6 (below), 1/12 (diagonal) → weighted mean.
        let one = NoisyLinearImputation.impute(Tensor(shape: [1, 1, 2, 2], storage: [9, 7, 3, 5]), removed: [true, false, false, false], noise: 0, rng: &rng)
        XCTAssertEqual(one.storage[0], (7.0 / 6 + 3.0 / 6 + 5.0 / 12) / (5.0 / 12), accuracy: 1e-5)
        XCTAssertEqual(Array(one.storage[1...]), [7, 3, 5])
        // Top row removed: (5/12) x0 − x1/6 = 3/6 + 5/12; (5/12) x1 − x0/6 = 5/6 + 3/12.
        let two = NoisyLinearImputation.impute(Tensor(shape: [1, 1, 2, 2], storage: v), removed: [true, true, false, false], noise: 0, rng: &rng)
        let (a, bb, r0, r1) = (5.0 / 12, -1.0 / 6, 3.0 / 6 + 5.0 / 12, 5.0 / 6 + 3.0 / 12)
        let det = a * a - bb * bb
        XCTAssertEqual(Double(two.storage[0]), (r0 * a - bb * r1) / det, accuracy: 1e-5)
        XCTAssertEqual(Double(two.storage[1]), (a * r1 - bb * r0) / det, accuracy: 1e-5)
        // Noise: σ 0.5 moves only the imputed pixels.
        let noisy = NoisyLinearImputation.impute(Tensor(shape: [1, 1, 2, 2], storage: v), removed: [true, true, false, false], noise: 0.5, rng: &rng)
        XCTAssertNotEqual(noisy.storage[0], two.storage[0])
        XCTAssertEqual(Array(noisy.storage[2...]), [3, 5])
    }

    func testROADScoresImputedImages() throws {
        let model = try LinearModel.make(w: w, b: b, height: 2, width: 2)
        let map = Tensor(shape: [1, 2, 2], storage: [0.5, 2, -1, 0.1])       // MoRF removes 1, then 1 and 0
        let input = MetricInput(x: x, maps: map, targets: [0], preprocessing: .unit(channels: 1))
        var rng = RNG(seed: 0, stream: ["unused"])
        let logit = { (t: Tensor) in (0..<4).reduce(self.b[0]) { $0 + self.w[$1] * t.storage[$1] } }
        let f25 = logit(NoisyLinearImputation.impute(x, removed: [false, true, false, false], noise: 0, rng: &rng))
        let f50 = logit(NoisyLinearImputation.impute(x, removed: [true, true, false, false], noise: 0, rng: &rng))
        let r = try ROADMoRF(["percent": "25,50", "noise": "0", "score": "logit"]).evaluate(input, model: model)
        XCTAssertEqual(r.curves![0][0], logit(x), accuracy: 1e-5)
        XCTAssertEqual(r.curves![0][1], f25, accuracy: 1e-5)
        XCTAssertEqual(r.curves![0][2], f50, accuracy: 1e-5)
        XCTAssertEqual(r.scores[0], (f25 + f50) / 2, accuracy: 1e-5)
        // LeRF removes pixel 2 first.
        let l = try ROADLeRF(["percent": "25", "noise": "0", "score": "logit"]).evaluate(input, model: model)
        XCTAssertEqual(l.scores[0], logit(NoisyLinearImputation.impute(x, removed: [false, false, true, false], noise: 0, rng: &rng)), accuracy: 1e-5)
        XCTAssertThrowsError(try ROADMoRF(["percent": "0,50"])) { XCTAssert("\($0)".contains("road_morf: percent")) }
    }

    func testFaithfulnessCorrelationIsOneForTheExactContributions() throws {
        let (h, wd) = (6, 6)
        let weights = LinearModel.values(2 * h * wd, seed: 3)
        let model = try LinearModel.make(w: weights, b: [0.1, 0.2], height: h, width: wd)
        let xs = Tensor(shape: [1, 1, h, wd], storage: LinearModel.values(h * wd, seed: 4))
        let exact = (0..<(h * wd)).map { weights[$0] * xs.storage[$0] }      // gradient × input: each pixel's share of the logit
        // The substrate `zero` removes exactly those shares: drops = Σ_S c_i = summed attribution.
        let metric = try FaithfulnessCorrelation(["runs": "40", "subset": "5", "substrate": "zero"])
        let good = try metric.evaluate(MetricInput(x: xs, maps: Tensor(shape: [1, h, wd], storage: exact), targets: [0], preprocessing: .unit(channels: 1)), model: model)
        XCTAssertEqual(good.scores[0], 1, accuracy: 1e-5)
        let reversed = try metric.evaluate(MetricInput(x: xs, maps: Tensor(shape: [1, h, wd], storage: exact.map { -$0 }), targets: [0], preprocessing: .unit(channels: 1)), model: model)
        XCTAssertEqual(reversed.scores[0], -1, accuracy: 1e-5)
        var rng = RNG(seed: 2, stream: ["t"])
        XCTAssertEqual(Set(FaithfulnessCorrelation.sample(5, of: 36, rng: &rng)).count, 5)
    }

    func testInfidelityIsZeroForTheGradientOfALinearModel() throws {
        let (h, wd) = (5, 5)
        let weights = LinearModel.values(2 * h * wd, seed: 5)
        let model = try LinearModel.make(w: weights, b: [0, 0], height: h, width: wd)
        let xs = Tensor(shape: [1, 1, h, wd], storage: LinearModel.values(h * wd, seed: 6))
        let gradient = Array(weights[0..<(h * wd)])
        func score(_ map: [Float], _ options: [String: String]) throws -> Float {
            try Infidelity(options).evaluate(MetricInput(x: xs, maps: Tensor(shape: [1, h, wd], storage: map), targets: [0], preprocessing: .unit(channels: 1)), model: model).scores[0]
        }
        // f(x) − f(x − I) = Iᵀw exactly: the gradient predicts every change.
        XCTAssertEqual(try score(gradient, ["normalize": "false"]), 0, accuracy: 1e-8)
        // Twice the gradient: error (Iᵀw)², about σ²‖w‖² (σ 0.1 of the unit range); normalized, β = 1/2 removes it.
        let doubled = try score(gradient.map { 2 * $0 }, ["normalize": "false", "perturbations": "2000"])
        let expected = 0.01 * gradient.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(doubled, expected, accuracy: 0.1 * expected)
        XCTAssertEqual(try score(gradient.map { 2 * $0 }, [:]), 0, accuracy: 1e-8)
    }

    func testMaxSensitivityOfSaliencyOnALinearModelIsZero() throws {
        let (h, wd) = (4, 4)
        let weights = LinearModel.values(2 * h * wd, seed: 7)
        let model = try LinearModel.make(w: weights, b: [0, 0], height: h, width: wd)
        let xs = Tensor(shape: [1, 1, h, wd], storage: LinearModel.values(h * wd, seed: 8).map { $0 + 2 })
        let input = { (e: any Explainer) in MetricInput(x: xs, maps: Tensor(shape: [1, h, wd]), targets: [0], preprocessing: .unit(channels: 1), explainer: e) }
        // Saliency (|gradient|) does not depend on x: 0. Gradient × input moves by w⊙δ, ‖δ‖∞ ≤ r.
        XCTAssertEqual(try MaxSensitivity().evaluate(input(try Saliency()), model: model).scores[0], 0, accuracy: 1e-7)
        let gxi = try MaxSensitivity(["radius": "0.05"]).evaluate(input(try GradientTimesInput()), model: model).scores[0]
        let w0 = weights[0..<(h * wd)]
        let bound = 0.05 * (w0.reduce(0) { $0 + $1 * $1 }).squareRoot() / zip(w0, xs.storage).reduce(0) { $0 + ($1.0 * $1.1) * ($1.0 * $1.1) }.squareRoot()
        XCTAssert(gxi > 0.3 * bound && gxi <= bound * 1.0001, "\(gxi) vs bound \(bound)")
        XCTAssertThrowsError(try MaxSensitivity().evaluate(MetricInput(x: xs, maps: Tensor(shape: [1, h, wd]), targets: [0], preprocessing: .unit(channels: 1)), model: model)) {
            XCTAssert("\($0)".contains("max_sensitivity re-runs the explainer"))
        }
    }
}
