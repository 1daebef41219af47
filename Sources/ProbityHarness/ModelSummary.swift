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
        // Layers: nodes with trainable weights (a constant weight operand), in graph order.
        layers = []
        for node in graph.nodes where ["Conv", "Gemm", "MatMul", "BatchNormalization"].contains(node.op.type) {
            let weights = node.inputs.dropFirst().filter { graph.values[$0].constant != nil }
            guard let w = weights.first else { continue }
            let params = weights.reduce(0) { $0 + graph.values[$1].count }
            layers.append(Layer(index: layers.count, node: node.name, output: graph.values[node.output].name, op: node.op.type,
                                weightShape: graph.values[w].shape, parameters: params))
        }
        parameters = proto.graph.initializer.filter { [1, 10, 11].contains($0.dataType) }.reduce(0) { $0 + $1.dims.reduce(1) { $0 * Int($1) } }
    }
}
