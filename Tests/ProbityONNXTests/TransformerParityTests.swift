import XCTest
import ProbityCore
import ProbityData
@testable import ProbityONNX

/// torchvision's VisionTransformer, SwinTransformer and ConvNeXt (small configurations, seeded random weights;
/// `Tests/Fixtures/transformers/`, made by `Tests/Fixtures/recipes/make_transformer_fixtures.py`),
/// each exported by both PyTorch exporters: TorchScript at opset 17 (LayerNormalization, Erf, and
/// shape arithmetic with Equal/Where/Mod/Sqrt folded at import) and dynamo at opset 18 (weights in
/// an external `.onnx.data` file). Against ONNX Runtime's logits and PyTorch autograd's input
/// gradients.
final class TransformerParityTests: XCTestCase {
    static let names = ["vit_ts17", "vit_dyn18", "swin_ts17", "swin_dyn18", "convnext_ts17", "convnext_dyn18"]

    func fixture() throws -> HDF5File { try HDF5File(path: Paths.repo("Tests/Fixtures/transformers/expected.h5")) }

    func input() throws -> Tensor { Tensor(shape: [4, 3, 32, 32], storage: try fixture().read("/x", as: Float.self)) }

    /// Logits within 1e-4 of the largest logit of ONNX Runtime's, the same top-1, and a sample's
    /// logits bit-identical alone and in the batch.
    func testLogitsMatchONNXRuntimeAloneAndInABatch() throws {
        let x = try input()
        for name in TransformerParityTests.names {
            let model = try ONNXModel(path: Paths.repo("Tests/Fixtures/transformers/\(name).onnx"))
            let expected = Tensor(shape: [4, 5], storage: try fixture().read("/\(name)/logits", as: Float.self))
            let logits = try model.logits(x)
            let largest = expected.storage.map(abs).max()!
            XCTAssertLessThanOrEqual(logits.maxAbsDifference(expected), 1e-4 * largest, name)
            XCTAssertEqual(logits.argmaxRows(), expected.argmaxRows(), name)
            for i in 0..<4 { XCTAssertEqual(try model.logits(x.item(i)).storage, logits.slice(batch: i..<(i + 1)).storage, "\(name) sample \(i)") }
            print("\(name) parity: max |Δlogit| = \(logits.maxAbsDifference(expected)) (largest |logit| \(largest))")
        }
    }

    /// The input gradient of each sample's top logit against PyTorch autograd: relative L2 error
    /// at most 1e-3 (the bound), bit-identical alone and in the batch, through attention (batched MatMul, Softmax), LayerNorm,
    /// Erf-GELU and the depthwise convolutions.
    func testInputGradientsMatchPyTorch() throws {
        let x = try input()
        for name in TransformerParityTests.names {
            let family = String(name.split(separator: "_")[0])
            let model = try ONNXModel(path: Paths.repo("Tests/Fixtures/transformers/\(name).onnx"))
            let top = try fixture().read("/\(family)/top", as: Int64.self).map(Int.init)
            let expected = try fixture().read("/\(family)/input_gradient", as: Float.self)
            let (_, grad) = try model.gradient(of: top, wrt: x)
            var difference = 0.0, norm = 0.0
            for (g, e) in zip(grad.storage, expected) { difference += Double(g - e) * Double(g - e); norm += Double(e) * Double(e) }
            let relative = (difference / norm).squareRoot()
            XCTAssertLessThanOrEqual(relative, 1e-3, name)
            let alone = try model.gradient(of: [top[2]], wrt: x.item(2)).grad
            XCTAssertEqual(alone.storage, Array(grad.storage[(2 * 3072)..<(3 * 3072)]), "\(name): sample 2's gradient alone and in the batch")
            print("\(name) gradient parity: relative L2 \(relative)")
        }
    }
}

