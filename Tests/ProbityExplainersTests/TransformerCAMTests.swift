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
