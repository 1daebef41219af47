import ProbityCore

/// Layer re-initialization for the model-parameter randomization test (Adebayo et al. 2018,
/// "Sanity checks for saliency maps").
///
/// A layer is a node with trainable weights: Conv, Gemm, or MatMul with a constant operand,
/// named by its ONNX output; a BatchNormalization that directly follows one belongs to it
/// (a BatchNormalization elsewhere is a layer of its own). Re-initialization follows
/// PyTorch's `reset_parameters()` (what Quantus calls): weights Kaiming-uniform with a = √5,
/// i.e. U(−1/√fan_in, 1/√fan_in), biases U(−1/√fan_in, 1/√fan_in), fan_in = input channels
/// per group × kernel area (Conv) or input features (Gemm, MatMul); a BatchNorm gets scale 1,
/// bias 0, running mean 0 and variance 1. Each layer draws from its own random stream
/// (seed, "randomize", layer name), so a layer gets the same weights in every step of a
/// cascade, whatever else is randomized.
public enum Randomization {
    public struct Layer: Sendable {
        /// The node's output name (the layer's name).
        public var name: String
        public var op: String
        /// The trainable constants of the layer: (value id, role).
        public var parameters: [(value: Int, role: Role)]
    }

    public enum Role: Sendable, Equatable { case weight(fanIn: Int), bias(fanIn: Int), bnScale, bnBias, bnMean, bnVariance }

    /// The layers of `graph` (an imported, unoptimized graph), in graph order.
    public static func layers(of graph: Graph) -> [Layer] {
        let consumers = graph.consumers()
        var result: [Layer] = []
        var owned = Set<Int>()   // BatchNorm nodes that follow a layer
        for (i, node) in graph.nodes.enumerated() {
            var params: [(Int, Role)] = []
            let constant = { (k: Int) in k < node.inputs.count && graph.values[node.inputs[k]].constant != nil }
            switch node.op {
            case let conv as Conv where constant(1):
                let w = graph.values[node.inputs[1]].shape
                let fanIn = w[1] * w[2] * w[3]
                _ = conv
                params.append((node.inputs[1], .weight(fanIn: fanIn)))
                if constant(2) { params.append((node.inputs[2], .bias(fanIn: fanIn))) }
            case let gemm as Gemm where constant(1):
                let b = graph.values[node.inputs[1]].shape
                let fanIn = gemm.transB ? b[1] : b[0]
                params.append((node.inputs[1], .weight(fanIn: fanIn)))
                if constant(2) { params.append((node.inputs[2], .bias(fanIn: fanIn))) }
            case is MatMul where constant(1) && graph.values[node.inputs[1]].shape.count >= 2:
                let b = graph.values[node.inputs[1]].shape
                params.append((node.inputs[1], .weight(fanIn: b[b.count - 2])))
            case is BatchNorm where !owned.contains(i) && (1...4).allSatisfy(constant):
                params = [(node.inputs[1], .bnScale), (node.inputs[2], .bnBias), (node.inputs[3], .bnMean), (node.inputs[4], .bnVariance)]
            default:
                continue
            }
            // A BatchNorm reading this layer's output alone goes with it.
            if !(node.op is BatchNorm), consumers[node.output].count == 1 {
                let next = consumers[node.output][0]
                let bn = graph.nodes[next]
                if bn.op is BatchNorm, (1...4).allSatisfy({ graph.values[bn.inputs[$0]].constant != nil }) {
                    owned.insert(next)
                    params += [(bn.inputs[1], .bnScale), (bn.inputs[2], .bnBias), (bn.inputs[3], .bnMean), (bn.inputs[4], .bnVariance)]
                }
            }
            result.append(Layer(name: graph.values[node.output].name, op: node.op.type, parameters: params))
        }
        return result
    }

    /// New values for the constants of the named layers, keyed by the constants' names.
    /// Unknown layer names are an error that lists the valid ones.
    public static func reinitialize(graph: Graph, layers names: [String], seed: UInt64) throws -> [String: Tensor] {
        let all = layers(of: graph)
        var result: [String: Tensor] = [:]
        for name in names {
            guard let layer = all.first(where: { $0.name == name }) else {
                let valid = all.map(\.name)
                throw ProbityError.invalidArgument("no layer named \(name); layers are: \(valid.prefix(20).joined(separator: ", "))\(valid.count > 20 ? " … (\(valid.count) in all)" : "")")
            }
            var rng = RNG(seed: seed, stream: ["randomize", .name(name)])
            for (v, role) in layer.parameters {
                let shape = graph.values[v].shape
                let count = shape.reduce(1, *)
                var t = Tensor(shape: shape)
                switch role {
                case .weight(let fanIn), .bias(let fanIn):
                    let bound = 1 / Float(fanIn).squareRoot()
                    for i in 0..<count { t.storage[i] = rng.uniform(-bound, bound) }
                case .bnScale, .bnVariance:
                    t.storage = [Float](repeating: 1, count: count)
                case .bnBias, .bnMean:
                    break
                }
                result[graph.values[v].name] = t
            }
        }
        return result
    }

    /// The layers randomized at step `k` of a cascade from the output: the last k + 1 layers.
    public static func cascade(_ layers: [String], step k: Int) -> [String] {
        Array(layers.suffix(k + 1))
    }
}
