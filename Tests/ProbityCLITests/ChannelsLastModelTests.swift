import Foundation
import XCTest
import ProbityONNX

/// A channels-last (NHWC) export meets a hint about layout, naming the model file, in every
/// command that loads a model for a dataset (one `ModelLoading` path); the same network with
/// the layout fixed at its input runs and predicts exactly what the original does.
final class ChannelsLastModelTests: XCTestCase {
    func testNHWCModelGetsALayoutHint() throws {
        let dir = try CLI.scratch()
        var proto = try ONNXImporter(path: CLI.repository.appendingPathComponent("models/shapes_cnn.onnx").path).model
        let original = proto.graph.input[0].name
        // New input [N, 64, 64, 3], transposed to the original's NCHW.
        var input = proto.graph.input[0]
        input.name = "image_nhwc"
        var dims = input.type.tensorType.shape.dim
        let (c, h, w) = (dims[1], dims[2], dims[3])
        dims[1] = h; dims[2] = w; dims[3] = c
        input.type.tensorType.shape.dim = dims
        var transpose = Onnx_NodeProto()
        transpose.opType = "Transpose"; transpose.name = "to_nchw"
        transpose.input = ["image_nhwc"]; transpose.output = [original]
        var perm = Onnx_AttributeProto()
        perm.name = "perm"; perm.type = .ints; perm.ints = [0, 3, 1, 2]
        transpose.attribute = [perm]
        proto.graph.input[0] = input
        proto.graph.node.insert(transpose, at: 0)
        let nhwc = dir + "/nhwc.onnx"
        try proto.serializedData().write(to: URL(fileURLWithPath: nhwc))

        for arguments in [["model", "predict", nhwc, "--dataset", "datasets/shapes.h5", "--indices", "0..3"],
                          ["explain", "--model", nhwc, "--dataset", "datasets/shapes.h5", "--explainer", "saliency", "--indices", "0..3", "--out", dir + "/a.h5"]] {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssert(r.stderr.hasPrefix("probity: error: \(nhwc): takes 64×64×3 images, which looks channels-last (NHWC"), r.stderr)
            XCTAssert(r.stderr.contains("perm 0,3,1,2"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.h5"))
    }
}
