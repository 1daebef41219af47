import Foundation
import ProbityCore
import ProbityEngine
import ProbityONNX

/// Test models whose every score has a closed form: x [1, 1, H, W] → Flatten → Gemm, so
/// logits = W·x + b, each pixel contributing w_i·x_i; exported to ONNX and loaded back, so the
/// metrics see the same engine as with real models.
enum LinearModel {
    static func make(w: [Float], b: [Float], height: Int, width: Int) throws -> ONNXModel {
        try ONNXModel(path: file(w: w, b: b, height: height, width: width))
    }

    /// The model as an ONNX file in a scratch directory; returns its path.
    static func file(w: [Float], b: [Float], height: Int, width: Int) throws -> String {
        let n = height * width, classes = b.count
        precondition(w.count == classes * n)
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, 1, height, width])
        g.inputs = [x]
        let wv = g.addValue(name: "w", shape: [classes, n], constant: Tensor(shape: [classes, n], storage: w))
        let bv = g.addValue(name: "b", shape: [classes], constant: Tensor(shape: [classes], storage: b))
        let f = try g.addNode(name: "flatten", op: Reshape(to: [1, n], type: "Flatten"), inputs: [x], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, wv, bv], outputName: "logits")]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-metrics-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("linear-\(UUID().uuidString).onnx").path
        try ONNXExporter.export(g, to: path)
        return path
    }

    /// Deterministic pseudo-random values in [-1, 1].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed, stream: ["test"])
        return (0..<count).map { _ in rng.uniform(-1, 1) }
    }
}
