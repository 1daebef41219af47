import Foundation
import SwiftProtobuf
import XCTest
@testable import ProbityONNX
import ProbityCore
import ProbityEngine

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
        for op in ["Softmax", "LogSoftmax"] {
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

/// The LogSoftmax op itself (when it is not the final node): forward as log of the softmax,
/// backward against central finite differences.
final class LogSoftmaxOpTests: XCTestCase {
    func testForwardAndBackward() throws {
        let x: [Float] = [0.5, -1.25, 2, 0.75, 3, -0.5, 1, 1.5]   // [2, 4], axis 1
        let op = Softmax(axis: 1, log: true)
        XCTAssertEqual(op.type, "LogSoftmax")
        func run(_ input: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                op.forward([ConstView(pointer: xp.baseAddress!, shape: [2, 4])], MutableView(pointer: yp.baseAddress!, shape: [2, 4]), ExecutionContext(threads: 1))
            } }
            return y
        }
        let y = run(x)
        for row in 0..<2 {
            let r = x[(row * 4)..<(row * 4 + 4)].map(Double.init)
            let lse = Foundation.log(r.map { Foundation.exp($0) }.reduce(0, +))
            for k in 0..<4 { XCTAssertEqual(Double(y[row * 4 + k]), r[k] - lse, accuracy: 1e-6) }
        }
        // d(Σ w·y)/dx by the op's backward and by central differences.
        let w: [Float] = [1, -2, 0.5, 3, -1, 0.25, 2, -0.75]
        var g = w, dx = [Float](repeating: 0, count: 8)
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in g.withUnsafeMutableBufferPointer { gp in dx.withUnsafeMutableBufferPointer { dp in
            let args = BackwardArguments(inputs: [ConstView(pointer: xp.baseAddress!, shape: [2, 4])], output: ConstView(pointer: yp.baseAddress!, shape: [2, 4]),
                                         gradOutput: MutableView(pointer: gp.baseAddress!, shape: [2, 4]), gradInputs: [MutableView(pointer: dp.baseAddress!, shape: [2, 4])])
            op.backward(args, ExecutionContext(threads: 1))
        } } } }
        for i in 0..<8 {
            var plus = x, minus = x
            plus[i] += 1e-2; minus[i] -= 1e-2
            let numeric = zip(run(plus), w).map { Double($0 * $1) }.reduce(0, +) - zip(run(minus), w).map { Double($0 * $1) }.reduce(0, +)
            XCTAssertEqual(Double(dx[i]), numeric / 2e-2, accuracy: 1e-3, "x[\(i)]")
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
