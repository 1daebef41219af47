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
