import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

/// Issue 19: SmoothGrad, SmoothGrad² and VarGrad against closed forms.
///
/// On a linear model the gradient is w whatever the noise: SmoothGrad² = max_c w_c²,
/// VarGrad = 0, SmoothGrad = max_c |w_c|. On y = Σ v x² (`QuadraticModel`) the gradient of a
/// noisy copy is 2v(x + n), n ~ N(0, σ²) with σ = noise × (max − min of the image), so
/// E[g] = 2vx, E[g²] = 4v²(x² + σ²), Var g = 4v²σ² and E|g| = 2|v|·E|x + n| (the folded
/// normal's mean). With many copies the estimates must land on these within their sampling
/// error; σ comparable to |x| makes each plausible mix-up (mean square for variance, squared
/// mean for mean square, a wrong σ) miss by far more than that.
final class NoiseTunnelValueTests: XCTestCase {
    func testOnALinearModelTheGradientIsConstant() throws {
        let (model, w, _) = try TestModels.linear(channels: 3, size: 6, classes: 2, seed: 31)
        var rng = RNG(seed: 32)
        let batch = ExplainBatch(x: rng.uniformTensor(shape: [1, 3, 6, 6], -1, 1), targets: [1], preprocessing: TestModels.unit)
        let squared = try SmoothGradSquared(["samples": "16"]).explain(batch, model: model).maps
        let variance = try VarGrad(["samples": "16"]).explain(batch, model: model).maps
        let smooth = try SmoothGrad(["samples": "16"]).explain(batch, model: model).maps
        for p in 0..<36 {
            let ws = (0..<3).map { w[1, $0 * 36 + p] }
            XCTAssertEqual(squared.storage[p], ws.map { $0 * $0 }.max()!, accuracy: 1e-5, "SmoothGrad² pixel \(p)")
            XCTAssertEqual(variance.storage[p], 0, accuracy: 1e-5, "VarGrad pixel \(p)")
            XCTAssertEqual(smooth.storage[p], ws.map(abs).max()!, accuracy: 1e-5, "SmoothGrad pixel \(p)")
        }
    }

    func testOnAQuadraticModelTheStatisticsAreTheGaussianClosedForms() throws {
        let (model, v) = try QuadraticModel.make(channels: 1, size: 4, classes: 2, seed: 33)
        var rng = RNG(seed: 34)
        let x = rng.uniformTensor(shape: [1, 1, 4, 4], -1, 1)
        let noise: Float = 0.5
        let sigma = noise * (x.storage.max()! - x.storage.min()!)
        let n = 4000
        let batch = ExplainBatch(x: x, targets: [0], preprocessing: .unit(channels: 1))
        let options = ["samples": "\(n)", "noise": "\(noise)"]
        let squared = try SmoothGradSquared(options).explain(batch, model: model).maps.storage
        let variance = try VarGrad(options).explain(batch, model: model).maps.storage
        let smooth = try SmoothGrad(options).explain(batch, model: model).maps.storage
        var meanOptions = options
        meanOptions["magnitude"] = "mean_of_abs"
        let meanOfAbs = try SmoothGrad(meanOptions).explain(batch, model: model).maps.storage
        var ratios: [String: [Float]] = [:]
        for p in 0..<16 {
            let (xi, vi) = (x.storage[p], v[0, p])
            let wantSquared = 4 * vi * vi * (xi * xi + sigma * sigma)
            let wantVariance = 4 * vi * vi * sigma * sigma
            let wantSmooth = 2 * abs(vi * xi)
            // E|x + n| for n ~ N(0, σ²): σ√(2/π)·exp(−x²/2σ²) + x·(1 − 2Φ(−x/σ)).
            let density: Float = sigma * (2 / Float.pi).squareRoot() * exp(-xi * xi / (2 * sigma * sigma))
            let folded: Float = density + xi * erf(xi / (sigma * Float(2).squareRoot()))
            let wantMeanOfAbs = 2 * abs(vi) * folded
            // Sampling error: ≤ 5 standard errors (relative ≈ √(2/n) ≈ 2.2 % for the second moments).
            XCTAssertEqual(squared[p], wantSquared, accuracy: 0.1 * wantSquared, "SmoothGrad² pixel \(p)")
            XCTAssertEqual(variance[p], wantVariance, accuracy: 0.1 * wantVariance, "VarGrad pixel \(p)")
            XCTAssertEqual(smooth[p], wantSmooth, accuracy: 5 * 2 * abs(vi) * sigma / Float(n).squareRoot(), "SmoothGrad pixel \(p)")
            XCTAssertEqual(meanOfAbs[p], wantMeanOfAbs, accuracy: 0.1 * wantMeanOfAbs, "SmoothGrad mean_of_abs pixel \(p)")
            ratios["squared", default: []].append(squared[p] / wantSquared)
            ratios["variance", default: []].append(variance[p] / wantVariance)
            ratios["mean_of_abs", default: []].append(meanOfAbs[p] / wantMeanOfAbs)
        }
        // Averaged over the 16 pixels the estimates are unbiased to within 3 %.
        for (name, r) in ratios { XCTAssertEqual(r.reduce(0, +) / Float(r.count), 1, accuracy: 0.03, name) }
    }
}
