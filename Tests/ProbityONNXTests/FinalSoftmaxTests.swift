import Foundation
import SwiftProtobuf
import XCTest
@testable import ProbityONNX
import ProbityCore

/// A classifier exported with its final softmax: Probity takes the softmax's input as the
/// logits, so the model gives exactly the logits of the same network without it (and metrics
/// that score probabilities do not apply the softmax twice).
final class FinalSoftmaxTests: XCTestCase {
    func testAFinalSoftmaxIsDropped() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let plain = try ONNXModel(path: repository + "/models/shapes_cnn.onnx")
        XCTAssertNil(plain.importer.finalSoftmax())
        var x = Tensor(shape: [3] + plain.inputShape)
        var rng = RNG(seed: 4, stream: [])
        for i in x.storage.indices { x.storage[i] = rng.uniform(-1, 1) }
        let logits = try plain.logits(x)
        for op in ["Softmax"] {   // LogSoftmax is detected the same way, but the importer does not take it yet
            var proto = plain.importer.model
            let out = proto.graph.output[0].name
            var node = Onnx_NodeProto()
            node.opType = op
            node.name = "final_\(op)"
            node.input = [out]
            node.output = ["probabilities"]
            var axis = Onnx_AttributeProto()
            axis.name = "axis"; axis.type = .int; axis.i = 1
            node.attribute = [axis]
            proto.graph.node.append(node)
            proto.graph.output[0].name = "probabilities"
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("probity-\(op)-\(getpid()).onnx").path
            try proto.serializedData().write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let withSoftmax = try ONNXModel(path: path)
            XCTAssertEqual(withSoftmax.importer.finalSoftmax()?.op, op)
            XCTAssertEqual(withSoftmax.importer.finalSoftmax()?.input, out)
            XCTAssertEqual(try withSoftmax.logits(x).storage, logits.storage, op)
        }
    }
}

/// A model exported with symbolic height and width runs once the size is given (a dataset's
/// images, or `--input-size`), and says how to give it when it is not.
final class SymbolicSizeTests: XCTestCase {
    func testSymbolicHeightAndWidth() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let fixed = try ONNXModel(path: repository + "/models/shapes_cnn.onnx")
        var proto = fixed.importer.model
        for k in [2, 3] {
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimParam = k == 2 ? "height" : "width"
            proto.graph.input[0].type.tensorType.shape.dim[k] = dim
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probity-symbolic-\(getpid()).onnx").path
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try ONNXModel(path: path)) { XCTAssertTrue("\($0)".contains("give --input-size H,W"), "\($0)") }
        let sized = try ONNXModel(path: path, inputShape: [3, 64, 64])
        XCTAssertEqual(sized.inputShape, fixed.inputShape)
        var x = Tensor(shape: [2] + fixed.inputShape)
        for i in x.storage.indices { x.storage[i] = Float(i % 17) / 17 - 0.5 }
        XCTAssertEqual(try sized.logits(x).storage, try fixed.logits(x).storage)
    }
}
