import Foundation
import ProbityCore
import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

/// Small models for explainer tests, built as graphs and loaded through the ONNX exporter and
/// importer (so they run exactly as a user's model would).
enum TestModels {
    static let directory: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("probity-explainers-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    static func load(_ graph: Graph, _ name: String) throws -> ONNXModel {
        let path = directory.appendingPathComponent(name + ".onnx").path
        try ONNXExporter.export(graph, to: path)
        return try ONNXModel(path: path)
    }

    /// x [1, C, H, W] → Flatten → Gemm (W [classes, C·H·W], bias): logits linear in the input.
    static func linear(channels c: Int, size: Int, classes: Int, seed: UInt64) throws -> (ONNXModel, Tensor, Tensor) {
        var rng = RNG(seed: seed)
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, c, size, size])
        g.inputs = [x]
        let w = rng.normalTensor(shape: [classes, c * size * size]), b = rng.normalTensor(shape: [classes])
        let wv = g.addValue(name: "w", shape: w.shape, constant: w), bv = g.addValue(name: "b", shape: b.shape, constant: b)
        let f = try g.addNode(name: "flatten", op: Reshape(to: [1, c * size * size], type: "Flatten"), inputs: [x], outputName: "features")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, wv, bv], outputName: "logits")]
        return (try load(g, "linear\(seed)"), w, b)
    }

    /// x [1, C, H, W] → Flatten → Gemm with the given weights [classes, C·H·W] and no bias.
    static func linear(weights w: Tensor, channels c: Int, size: Int, name: String) throws -> ONNXModel {
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, c, size, size])
        g.inputs = [x]
        let wv = g.addValue(name: "w", shape: w.shape, constant: w)
        let f = try g.addNode(name: "flatten", op: Reshape(to: [1, c * size * size], type: "Flatten"), inputs: [x], outputName: "features")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, wv], outputName: "logits")]
        return try load(g, name)
    }

    /// x → Conv 3×3 (pad 1) → activation → Conv 3×3 → activation → GlobalAveragePool → Flatten → Gemm.
    static func convNet(channels c: Int = 3, size: Int = 12, classes: Int = 3, activation: Activation.Kind, bias: Bool = true, seed: UInt64) throws -> ONNXModel {
        var rng = RNG(seed: seed)
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, c, size, size])
        g.inputs = [x]
        func const(_ name: String, _ shape: [Int], _ std: Float) -> Int { g.addValue(name: name, shape: shape, constant: rng.normalTensor(shape: shape, std: std)) }
        let w1 = const("w1", [6, c, 3, 3], 0.4), w2 = const("w2", [8, 6, 3, 3], 0.3), w3 = const("w3", [classes, 8], 0.8)
        var h = try g.addNode(name: "conv1", op: Conv(pads: (1, 1, 1, 1)), inputs: bias ? [x, w1, const("b1", [6], 0.1)] : [x, w1], outputName: "conv1")
        h = try g.addNode(name: "act1", op: Activation(activation), inputs: [h], outputName: "act1")
        h = try g.addNode(name: "conv2", op: Conv(pads: (1, 1, 1, 1)), inputs: bias ? [h, w2, const("b2", [8], 0.1)] : [h, w2], outputName: "conv2")
        h = try g.addNode(name: "act2", op: Activation(activation), inputs: [h], outputName: "act2")
        h = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [h], outputName: "gap")
        h = try g.addNode(name: "flatten", op: Reshape(to: [1, 8], type: "Flatten"), inputs: [h], outputName: "features")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: bias ? [h, w3, const("b3", [classes], 0.1)] : [h, w3], outputName: "logits")]
        return try load(g, "conv\(seed)\(bias)")
    }

    static let unit = Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1])
}
