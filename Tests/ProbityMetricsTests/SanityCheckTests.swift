import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityExplainers
import ProbityONNX
@testable import ProbityMetrics

/// Sanity checks on a 24 × 24 linear model (large enough for SSIM's 7 × 7 windows and HOG's
/// 3 × 3 blocks of 8-pixel cells): a model-blind method (Sobel edges) keeps similarity 1 and
/// fails; saliency, whose map is the weights, follows the weights.
final class SanityCheckTests: XCTestCase {
    let (h, w) = (24, 24)

    func input(_ model: Model, _ explainer: any Explainer, targets: [Int] = [0, 1]) -> MetricInput {
        let x = Tensor(shape: [2, 1, h, w], storage: LinearModel.values(2 * h * w, seed: 11).map { $0 * 0.5 + 0.5 })
        return MetricInput(x: x, maps: Tensor(shape: [2, h, w]), targets: targets, seed: 4, preprocessing: .unit(channels: 1), explainer: explainer)
    }

    func testModelRandomizationSeparatesModelBlindFromModelDependentMethods() throws {
        let weights = LinearModel.values(2 * h * w, seed: 9)
        let model = try LinearModel.make(w: weights, b: [0, 0], height: h, width: w)
        let blind = try ModelRandomization().evaluate(input(model, try SobelEdges()), model: model)
        XCTAssertEqual(blind.variants.map(\.name), ["spearman", "spearman_abs", "ssim", "hog", "logits/spearman", "logits/spearman_abs", "logits/ssim", "logits/hog"])
        for v in blind.variants { for s in v.scores { XCTAssertEqual(s, 1, accuracy: 1e-6, v.name) } }
        XCTAssertEqual(blind.scores, blind.variants[1].scores)
        // Saliency = |w_target|: after re-initialization, |w'| is independent of |w|.
        let saliency = try Saliency()
        let r = try ModelRandomization().evaluate(input(model, saliency), model: model)
        let randomized = try model.randomized(layers: ["logits"], seed: 4)
        for s in 0..<2 {
            let original = try saliency.explain(ExplainBatch(x: input(model, saliency).x, targets: [0, 1], preprocessing: .unit(channels: 1)), model: model).maps
            let changed = try saliency.explain(ExplainBatch(x: input(model, saliency).x, targets: [0, 1], preprocessing: .unit(channels: 1)), model: randomized).maps
            let plane = h * w
            let expected = Correlation.spearman(Array(original.storage[(s * plane)..<((s + 1) * plane)]), Array(changed.storage[(s * plane)..<((s + 1) * plane)]))
            XCTAssertEqual(Double(r.scores[s]), expected, accuracy: 1e-6)
            XCTAssertLessThan(abs(r.scores[s]), 0.2)
        }
        XCTAssertEqual(r.status, ["ok", "ok"])
    }

    func testCascadeStepsAndIndependentMeans() {
        XCTAssertEqual(ModelRandomization.steps("all", count: 5), [0, 1, 2, 3, 4])
        XCTAssertEqual(ModelRandomization.steps("3", count: 5), [0, 2, 4])
        XCTAssertEqual(ModelRandomization.steps("1", count: 5), [4])
        XCTAssertEqual(ModelRandomization.steps("9", count: 5), [0, 1, 2, 3, 4])
        XCTAssertThrowsError(try ModelRandomization(["layers": "none"]))
    }

    func testDataRandomizationComparesWithTheTwinModel() throws {
        let a = LinearModel.values(2 * h * w, seed: 12), b = LinearModel.values(2 * h * w, seed: 13)
        let model = try LinearModel.make(w: a, b: [0, 0], height: h, width: w)
        let path = try LinearModel.file(w: b, b: [0, 0], height: h, width: w)
        var given = input(model, try Saliency())
        given.loader = ModelLoader { try ONNXModel(path: $0) }
        let r = try DataRandomization(["shuffled_model": path]).evaluate(given, model: model)
        let plane = h * w
        for s in 0..<2 {
            let t = [0, 1][s]
            let expected = Correlation.spearman(a[(t * plane)..<((t + 1) * plane)].map(abs), b[(t * plane)..<((t + 1) * plane)].map(abs))
            XCTAssertEqual(Double(r.scores[s]), expected, accuracy: 1e-6)
        }
        XCTAssertThrowsError(try DataRandomization(["shuffled_model": "/nonexistent/twin.onnx"])) { XCTAssert("\($0)".contains("/nonexistent/twin.onnx")) }
    }

    func testRandomLogitComparesWithTheOtherClass() throws {
        let weights = LinearModel.values(2 * h * w, seed: 14)
        let model = try LinearModel.make(w: weights, b: [0, 0], height: h, width: w)
        // Two classes: the random other class is the other one. Saliency maps are |w_0| and |w_1|.
        let r = try RandomLogit().evaluate(input(model, try Saliency()), model: model)
        let plane = h * w
        let w0 = Array(weights[0..<plane]).map(abs), w1 = Array(weights[plane...]).map(abs)
        XCTAssertEqual(r.scores[0], MapSimilarity.ssim(w0, w1, height: h, width: w), accuracy: 1e-6)
        XCTAssertEqual(r.scores[1], r.scores[0], accuracy: 1e-6)
        XCTAssertEqual(r.variants.map(\.name), ["spearman", "spearman_abs", "ssim", "hog"])
        // Sobel edges ignore the class: SSIM 1.
        XCTAssertEqual(try RandomLogit().evaluate(input(model, try SobelEdges()), model: model).scores[0], 1, accuracy: 1e-9)
        // Quantus' form (issue 14): 1-D SSIM of the flattened maps / max, data range max − min.
        let q = try RandomLogit(["main": "quantus_ssim"]).evaluate(input(model, try Saliency()), model: model)
        XCTAssertEqual(Double(q.scores[0]), SSIM.quantus(w0, w1), accuracy: 1e-6)
        XCTAssertNotEqual(q.scores[0], r.scores[0])
        XCTAssertEqual(q.variants.map(\.name), ["spearman", "spearman_abs", "ssim", "hog", "quantus_ssim"])
    }
}

