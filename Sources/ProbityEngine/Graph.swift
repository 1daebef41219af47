import ProbityCore

/// A value in a graph: an input, a constant (weights) or the output of a node.
/// Its shape is fixed: a graph is built for one input shape (DESIGN.md, Engine notes).
public struct Value: Sendable {
    /// The ONNX name of the value (hooks and layer names refer to it).
    public var name: String
    public var shape: [Int]
    /// Set for weights and folded constants.
    public var constant: Tensor?

    public var count: Int { shape.reduce(1, *) }
}

/// One operation: `output = op(inputs)`. Every engine op has exactly one output.
public struct Node: Sendable {
    /// The ONNX node name, or its output name when the node has none.
    public var name: String
    public var op: any Operator
    public var inputs: [Int]
    public var output: Int
}

/// A static float graph, topologically ordered, with every shape known.
///
/// The ONNX importer builds it (shape subgraphs already folded away); the planner turns it
/// into an executable `Plan`. Value semantics: a randomized copy of a model is a copy of this.
public struct Graph: Sendable {
    public var values: [Value] = []
    public var nodes: [Node] = []
    public var inputs: [Int] = []
    public var outputs: [Int] = []

    public init() {}

    /// Adds a value and returns its id.
    @discardableResult
    public mutating func addValue(name: String, shape: [Int], constant: Tensor? = nil) -> Int {
        values.append(Value(name: name, shape: shape, constant: constant))
        return values.count - 1
    }

    /// Adds a node after inferring its output shape; returns the output value's id.
    @discardableResult
    public mutating func addNode(name: String, op: any Operator, inputs: [Int], outputName: String) throws -> Int {
        let shape = try op.outputShape(inputs.map { values[$0].shape })
        let out = addValue(name: outputName, shape: shape)
        nodes.append(Node(name: name, op: op, inputs: inputs, output: out))
        return out
    }

    /// The id of the value named `name`, if any.
    public func value(named name: String) -> Int? { values.lastIndex { $0.name == name } }

    /// Ids of the nodes that read each value.
    public func consumers() -> [[Int]] {
        var result = [[Int]](repeating: [], count: values.count)
        for (i, node) in nodes.enumerated() { for v in node.inputs { result[v].append(i) } }
        return result
    }

    /// Total multiply-adds × 2 over all nodes, for one run of the graph.
    public var flops: Int {
        nodes.reduce(0) { $0 + $1.op.flops(inputs: $1.inputs.map { values[$0].shape }, output: values[$1.output].shape) }
    }
}
