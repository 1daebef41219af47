import XCTest
import ProbityCore
import ProbityData
import ProbityONNX
@testable import ProbityExplainers

/// Grad-CAM on a ViT's tokens against pytorch-grad-cam 1.5.7 (the fixture's `vit/gradcam_ln1_lowres`:
/// its GradCAM on the last block's `ln_1` with the ViT `reshape_transform` of its documentation,
/// before min-max scaling), and `layer=auto` finding that layer on both exports.
final class TransformerCAMTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/transformers/\(name)").path
    }

    func testGradCAMOnTokensMatchesPytorchGradCAM() throws {
        let f = try HDF5File(path: TransformerCAMTests.fixture("expected.h5"))
        let x = Tensor(shape: [4, 3, 32, 32], storage: try f.read("/x", as: Float.self))
        let top = try f.read("/vit/top", as: Int64.self).map(Int.init)
        let reference = Tensor(shape: [4, 4, 4], storage: try f.read("/vit/gradcam_ln1_lowres", as: Float.self))
        let want = MapOps.upsample(reference, height: 32, width: 32)
        for name in ["vit_ts17", "vit_dyn18"] {
            let model = try ONNXModel(path: TransformerCAMTests.fixture("\(name).onnx"))
            let layer = try CAMLayer.resolve("auto", model: model)
            XCTAssert(layer.contains("ln_1") || layer.contains("layer_norm"), "\(name): auto picked \(layer)")
            let maps = try GradCAM(["layer": layer]).explain(ExplainBatch(x: x, targets: top, preprocessing: Preprocessing(scale: [1, 1, 1], offset: [0, 0, 0])), model: model).maps
            let largest = want.storage.max()!
            XCTAssertLessThanOrEqual(maps.maxAbsDifference(want), 1e-4 * largest, name)
            print("\(name) Grad-CAM on \(layer): max |Δ| \(maps.maxAbsDifference(want)) of \(largest)")
        }
    }
}

/// Attention rollout (Abnar & Zuidema 2020): the rollout of two hand-made layers of 3 tokens,
/// worked by hand; on the ViT fixture, the two attention softmaxes found from the graph and a
/// map that is the class token's row of the rollout.
final class AttentionRolloutTests: XCTestCase {
    /// Layer 1 (one head) A = [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]] gives Â₁ = (A + I)/2 =
    /// [[0.75, 0.25, 0], [0, 1, 0], [0, 0, 1]]; layer 2, two heads whose mean is
    /// [[0, 0.5, 0.5], [0, 1, 0], [0, 0, 1]], gives Â₂ = [[0.5, 0.25, 0.25], [0, 1, 0], [0, 0, 1]];
    /// R = Â₂Â₁ has first row [0.375, 0.375, 0.25].
    func testRolloutByHand() {
        let l1: [[Float]] = [[0.5, 0.5, 0, 0, 1, 0, 0, 0, 1]]
        let l2: [[Float]] = [[0, 1, 0, 0, 1, 0, 0, 0, 1], [0, 0, 1, 0, 1, 0, 0, 0, 1]]
        let r = AttentionRollout.rollout([l1, l2], tokens: 3, fusion: "mean", discard: 0)
        for (got, want) in zip(r.prefix(3), [0.375, 0.375, 0.25]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        // max fusion of layer 2: row 0 [0, 1, 1] → (A + I)/2 = [0.5, 0.5, 0.5] → renormalized [1/3, 1/3, 1/3]
        // → R row 0 = [0.75, 0.25, 0]/3 + [0, 1, 0]/3 + [0, 0, 1]/3 = [0.25, 5/12, 1/3].
        let m = AttentionRollout.rollout([l1, l2], tokens: 3, fusion: "max", discard: 0)
        for (got, want) in zip(m.prefix(3), [0.25, 5.0 / 12, 1.0 / 3]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        // discard_ratio 0.5 on layer 1 alone: the 4 smallest of 9 fused weights (zeros at 2, 3, 5, 6 by index order) are already 0.
        XCTAssertEqual(AttentionRollout.rollout([l1], tokens: 3, fusion: "mean", discard: 0.5), AttentionRollout.rollout([l1], tokens: 3, fusion: "mean", discard: 0))
    }

    func testFindsTheViTAttentionAndRollsItOut() throws {
        let f = try HDF5File(path: TransformerCAMTests.fixture("expected.h5"))
        let x = Tensor(shape: [4, 3, 32, 32], storage: try f.read("/x", as: Float.self))
        for name in ["vit_ts17", "vit_dyn18"] {
            let model = try ONNXModel(path: TransformerCAMTests.fixture("\(name).onnx"))
            let layers = try AttentionLayers.find(model)
            XCTAssertEqual(layers.count, 2, name); XCTAssertEqual(layers.map(\.heads), [2, 2]); XCTAssertEqual(layers.map(\.tokens), [17, 17])
            let batch = ExplainBatch(x: x, targets: [0, 0, 0, 0], preprocessing: Preprocessing(scale: [1, 1, 1], offset: [0, 0, 0]))
            let maps = try AttentionRollout(["head_fusion": "mean"]).explain(batch, model: model).maps
            XCTAssertEqual(maps.shape, [4, 32, 32])
            // The class token's row of a product of row-stochastic matrices: patch weights in (0, 1), summing to < 1.
            let r = try model.backward(x.item(1), rule: .gradient, hooks: layers.map(\.name)) { l, range in Tensor(shape: [range.count, l.shape[1]]) }
            let rolled = AttentionRollout.rollout(layers.map { AttentionLayers.sample(r.activations[$0.name]!, sample: 0, count: 1, tokens: 17) }, tokens: 17, fusion: "mean", discard: 0)
            XCTAssertEqual(rolled.prefix(17).reduce(0, +), 1, accuracy: 1e-5, "rows of the rollout stay distributions")
            let alone = try AttentionRollout(["head_fusion": "mean"]).explain(ExplainBatch(x: x.item(1), targets: [0], preprocessing: batch.preprocessing), model: model).maps
            XCTAssertEqual(alone.storage, Array(maps.storage[(32 * 32)..<(2 * 32 * 32)]), "\(name): sample 1 alone and in the batch")
        }
        XCTAssertThrowsError(try AttentionLayers.find(try ONNXModel(path: TransformerCAMTests.fixture("convnext_ts17.onnx"))))
    }
}
