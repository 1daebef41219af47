import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityExplainers
import ProbityONNX
@testable import ProbityMetrics

/// Issue 19: `model_randomization` with `mode=independent` and `mode=cascading` on a two-layer
/// linear model, x [1, 1, 24, 24] → Flatten → Gemm (W1 [4, 576], "hidden") → Gemm (W2 [2, 4],
/// "logits"), where saliency is |W1ᵀ·W2[t]| per pixel. The re-drawn weights come from
/// `Randomization.reinitialize` (whose draws RandomizationTests check), and the expected maps
/// are computed here by matrix products, not by running the model or the explainer.
/// Independent: each layer alone, summary = mean over layers; cascading: from the top, summary
/// = all layers randomized.
final class ModelRandomizationModeTests: XCTestCase {
    let (h, w, k) = (24, 24, 4)

    func model() throws -> ONNXModel {
        let n = h * w
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, 1, h, w])
        g.inputs = [x]
        let w1 = g.addValue(name: "w1", shape: [k, n], constant: Tensor(shape: [k, n], storage: LinearModel.values(k * n, seed: 41)))
        let b1 = g.addValue(name: "b1", shape: [k], constant: Tensor(shape: [k], storage: LinearModel.values(k, seed: 42)))
        let w2 = g.addValue(name: "w2", shape: [2, k], constant: Tensor(shape: [2, k], storage: LinearModel.values(2 * k, seed: 43)))
        let b2 = g.addValue(name: "b2", shape: [2], constant: Tensor(shape: [2], storage: [0, 0]))
        var f = try g.addNode(name: "flatten", op: Reshape(to: [1, n], type: "Flatten"), inputs: [x], outputName: "f")
        f = try g.addNode(name: "fc1", op: Gemm(transB: true), inputs: [f, w1, b1], outputName: "hidden")
        g.outputs = [try g.addNode(name: "fc2", op: Gemm(transB: true), inputs: [f, w2, b2], outputName: "logits")]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probity-two-layer-\(getpid()).onnx").path
        try ONNXExporter.export(g, to: path)
        return try ONNXModel(path: path)
    }

    /// |W1ᵀ·W2[t]| for the given weights.
    func saliency(_ w1: Tensor, _ w2: Tensor, target t: Int) -> [Float] {
        (0..<(h * w)).map { p in abs((0..<k).reduce(Float(0)) { $0 + w2[t, $1] * w1[$1, p] }) }
    }

    func testIndependentRandomizesOneLayerAtATimeAndAveragesCascadingStacks() throws {
        let model = try model()
        XCTAssertEqual(try model.layers, ["hidden", "logits"])
        let graph = try model.importedGraph()
        let constant = { (name: String) in graph.values.first { $0.name == name }!.constant! }
        let (w1, w2) = (constant("w1"), constant("w2"))
        let seed: UInt64 = 4
        let fresh = try Randomization.reinitialize(graph: graph, layers: ["hidden", "logits"], seed: seed)
        let (r1, r2) = (fresh["w1"]!, fresh["w2"]!)
        let x = Tensor(shape: [2, 1, h, w], storage: LinearModel.values(2 * h * w, seed: 44))
        let input = MetricInput(x: x, maps: Tensor(shape: [2, h, w]), targets: [0, 1], seed: seed, preprocessing: .unit(channels: 1), explainer: try Saliency())

        let independent = try ModelRandomization(["mode": "independent"]).evaluate(input, model: model)
        let cascading = try ModelRandomization(["mode": "cascading"]).evaluate(input, model: model)
        func variant(_ out: MetricOutput, _ name: String) -> [Float] { out.variants.first { $0.name == name }!.scores }
        for s in 0..<2 {
            let original = saliency(w1, w2, target: s)
            let top = Float(Correlation.spearman(original, saliency(w1, r2, target: s)))       // "logits" alone
            let bottom = Float(Correlation.spearman(original, saliency(r1, w2, target: s)))    // "hidden" alone
            let both = Float(Correlation.spearman(original, saliency(r1, r2, target: s)))      // "hidden" and "logits"
            XCTAssertEqual(variant(independent, "logits/spearman_abs")[s], top, accuracy: 1e-5)
            XCTAssertEqual(variant(independent, "hidden/spearman_abs")[s], bottom, accuracy: 1e-5)
            XCTAssertEqual(independent.scores[s], (top + bottom) / 2, accuracy: 1e-5, "independent: mean over layers")
            XCTAssertEqual(variant(independent, "spearman_abs")[s], independent.scores[s])
            XCTAssertEqual(variant(cascading, "logits/spearman_abs")[s], top, accuracy: 1e-5)
            XCTAssertEqual(variant(cascading, "hidden/spearman_abs")[s], both, accuracy: 1e-5)
            XCTAssertEqual(cascading.scores[s], both, accuracy: 1e-5, "cascading: everything randomized")
            // The modes differ where they should (the bottom step randomizes one layer or both),
            // by far more than the tolerance above, so swapping them fails.
            XCTAssertGreaterThan(abs(bottom - both), 1e-3, "sample \(s)")
        }
    }
}
