import Foundation
import XCTest
import ProbityONNX

/// A classifier exported with a final `LogSoftmax` (PyTorch's `log_softmax` head, common for
/// models trained with `NLLLoss`) imports, `model info` says its input is used as the logits,
/// and `model predict` gives exactly the probabilities of the same network without it.
final class FinalLogSoftmaxCommandTests: XCTestCase {
    func testAFinalLogSoftmaxIsUsedAsLogits() throws {
        let dir = try CLI.scratch()
        let plain = try ONNXImporter(path: CLI.repository.appendingPathComponent("models/shapes_cnn.onnx").path)
        var proto = plain.model
        let logits = proto.graph.output[0].name
        var node = Onnx_NodeProto()
        node.opType = "LogSoftmax"
        node.name = "log_probs"
        node.input = [logits]
        node.output = ["log_probabilities"]
        var axis = Onnx_AttributeProto()
        axis.name = "axis"; axis.type = .int; axis.i = 1
        node.attribute = [axis]
        proto.graph.node.append(node)
        proto.graph.output[0].name = "log_probabilities"
        try proto.serializedData().write(to: URL(fileURLWithPath: dir + "/logsoftmax.onnx"))

        let info = try CLI.run(["model", "info", dir + "/logsoftmax.onnx"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssert(info.stdout.contains("note: the graph ends in LogSoftmax (log_probs"), info.stdout)
        XCTAssert(info.stdout.contains("Probity uses its input, \(logits), as the logits"), info.stdout)
        let arguments = ["--dataset", "datasets/shapes.h5", "--indices", "0..5", "--json"]
        let withHead = try CLI.run(["model", "predict", dir + "/logsoftmax.onnx"] + arguments)
        XCTAssertEqual(withHead.status, 0, withHead.stderr)
        let without = try CLI.run(["model", "predict", "models/shapes_cnn.onnx"] + arguments)
        XCTAssertEqual(without.status, 0, without.stderr)
        XCTAssertEqual(withHead.stdout, without.stdout)
    }
}
