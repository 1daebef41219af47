import Foundation
import ProbityCore
import ProbityEngine
import ProbityONNX

/// Test models whose every score has a closed form: x [1, 1, H, W] → Flatten → Gemm, so
/// logits = W·x + b, each pixel contributing w_i·x_i; built directly as engine graphs (one per
/// batch size) and run by the engine's `GraphModel`, as imported models are.
enum LinearModel {
    static func make(w: [Float], b: [Float], height: Int, width: Int) throws -> GraphModel {
        precondition(w.count == b.count * height * width)
        return try GraphModel(name: "linear \(b.count)×\(height)×\(width)", inputShape: [1, height, width]) { batch in
            try graph(w: w, b: b, height: height, width: width, batch: batch)
        }
    }

    /// The model's graph for `batch` inputs.
    static func graph(w: [Float], b: [Float], height: Int, width: Int, batch: Int = 1) throws -> Graph {
        let n = height * width, classes = b.count
        var g = Graph()
        let x = g.addValue(name: "input", shape: [batch, 1, height, width])
        g.inputs = [x]
        let wv = g.addValue(name: "w", shape: [classes, n], constant: Tensor(shape: [classes, n], storage: w))
        let bv = g.addValue(name: "b", shape: [classes], constant: Tensor(shape: [classes], storage: b))
        let f = try g.addNode(name: "flatten", op: Reshape(to: [batch, n], type: "Flatten"), inputs: [x], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, wv, bv], outputName: "logits")]
        return g
    }

    /// The model as an ONNX file in a scratch directory (for what takes a path: the
    /// data-randomization twin); returns its path.
    static func file(w: [Float], b: [Float], height: Int, width: Int) throws -> String {
        precondition(w.count == b.count * height * width)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-metrics-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("linear-\(UUID().uuidString).onnx").path
        try ONNXExporter.export(graph(w: w, b: b, height: height, width: width), to: path)
        return path
    }

    /// Deterministic pseudo-random values in [-1, 1].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed, stream: ["test"])
        return (0..<count).map { _ in rng.uniform(-1, 1) }
    }
}
