import ProbityCore

/// A small image classifier for synthetic data and tests: blocks of 3×3 convolution (padding
/// 1, bias) → ReLU → 2×2 max pooling, then global average pooling and a linear layer — the
/// "conv-relu-pool blocks, global pool, linear" network of the sanity-check experiments.
/// Layer names follow PyTorch's `state_dict` style (`block1.conv.weight`), outputs are named
/// after the layer (`block1.conv`), the graph input `input` and the output `logits`.
public struct SmallCNN: Sendable {
    public var inputShape: [Int]       // [C, H, W]
    public var classes: Int
    public var widths: [Int]

    public init(inputShape: [Int], classes: Int, widths: [Int] = [16, 32, 64]) {
        self.inputShape = inputShape; self.classes = classes; self.widths = widths
    }

    /// Names and shapes of the parameters, in graph order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        var result: [(String, [Int])] = []
        var channels = inputShape[0]
        for (i, w) in widths.enumerated() {
            result.append(("block\(i + 1).conv.weight", [w, channels, 3, 3]))
            result.append(("block\(i + 1).conv.bias", [w]))
            channels = w
        }
        result.append(("fc.weight", [classes, channels]))
        result.append(("fc.bias", [classes]))
        return result
    }

    /// The graph for a batch of `batch`, with `parameters` (in `parameterShapes` order) as its
    /// constants. Returns the graph and the value ids of the parameters.
    public func graph(batch: Int, parameters: [Tensor]) throws -> (Graph, [Int]) {
        var g = Graph()
        let x = g.addValue(name: "input", shape: [batch] + inputShape)
        g.inputs = [x]
        let shapes = parameterShapes
        precondition(parameters.count == shapes.count, "SmallCNN needs \(shapes.count) parameter tensors")
        let ids = zip(shapes, parameters).map { g.addValue(name: $0.0.name, shape: $0.0.shape, constant: $0.1) }
        var h = x
        for i in widths.indices {
            let name = "block\(i + 1)"
            h = try g.addNode(name: "\(name).conv", op: Conv(pads: (1, 1, 1, 1)), inputs: [h, ids[2 * i], ids[2 * i + 1]], outputName: "\(name).conv")
            h = try g.addNode(name: "\(name).relu", op: Activation(.relu), inputs: [h], outputName: "\(name).relu")
            h = try g.addNode(name: "\(name).pool", op: Pool(kind: .max, kernel: (2, 2), strides: (2, 2)), inputs: [h], outputName: "\(name).pool")
        }
        h = try g.addNode(name: "pool", op: GlobalPool(max: false), inputs: [h], outputName: "pool")
        h = try g.addNode(name: "flatten", op: Reshape(to: [batch, widths.last ?? inputShape[0]], type: "Flatten"), inputs: [h], outputName: "features")
        let out = try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [h, ids[ids.count - 2], ids[ids.count - 1]], outputName: "logits")
        g.outputs = [out]
        return (g, ids)
    }

    /// PyTorch's default initialization of every layer (see `Randomization`), from `seed`.
    public func initialParameters(seed: UInt64) throws -> [Tensor] {
        let zeros = parameterShapes.map { Tensor(shape: $0.shape) }
        let (g, _) = try graph(batch: 1, parameters: zeros)
        let layers = Randomization.layers(of: g).map(\.name)
        let fresh = try Randomization.reinitialize(graph: g, layers: layers, seed: seed)
        return parameterShapes.map { fresh[$0.name]! }
    }
}
