import ProbityCore
import ProbityEngine
import ProbityONNX

/// What `probity model info` and `probity model layers` print.
public struct ModelSummary: Sendable {
    public struct Layer: Sendable {
        /// Position in the cascade order (input to output).
        public var index: Int
        public var node: String
        /// The node's ONNX output name: how hooks and randomization name the layer.
        public var output: String
        public var op: String
        public var weightShape: [Int]
        public var parameters: Int
    }

    public var inputs: [(name: String, shape: [String])]
    public var outputs: [(name: String, shape: [Int])]
    public var opset: Int
    public var opCounts: [(op: String, count: Int)]
    public var parameters: Int
    public var flopsPerImage: Int
    public var layers: [Layer]

    public init(model: ONNXModel) throws {
        let proto = model.importer.model
        inputs = model.importer.inputNames.enumerated().map { i, name in (name, model.importer.declaredShape(input: i).map { $0.map(String.init) ?? "N" }) }
        let graph = try model.importedGraph(batch: 1)
        outputs = graph.outputs.map { (graph.values[$0].name, graph.values[$0].shape) }
        opset = model.importer.opset
        var counts: [String: Int] = [:]
        for node in proto.graph.node { counts[node.opType, default: 0] += 1 }
        opCounts = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
        flopsPerImage = try model.graph(batch: 1).flops
        // Layers: nodes with trainable weights in graph order, as randomization names them
        // (a BatchNormalization right after a layer belongs to it).
        layers = Randomization.layers(of: graph).enumerated().map { i, layer in
            let node = graph.nodes.first { graph.values[$0.output].name == layer.name }!
            let weight = layer.parameters.first.map { graph.values[$0.value].shape } ?? []
            return Layer(index: i, node: node.name, output: layer.name, op: layer.op, weightShape: weight,
                         parameters: layer.parameters.reduce(0) { $0 + graph.values[$1.value].count })
        }
        parameters = proto.graph.initializer.filter { [1, 10, 11].contains($0.dataType) }.reduce(0) { $0 + $1.dims.reduce(1) { $0 * Int($1) } }
    }
}
