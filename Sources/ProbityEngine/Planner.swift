import ProbityCore

/// Rewrites a graph for execution, without changing what it computes:
///
/// 1. A zero Pad of the spatial axes feeding only a Conv becomes the Conv's own padding
///    (exported "same" padding arrives as Pad + Conv).
/// 2. A BatchNormalization after a Conv is folded into the Conv's weights and bias.
/// 3. An activation after a Conv or Gemm runs as the producer's epilogue.
/// 4. Identity and Dropout are removed; nodes that no output needs are dropped.
///
/// Values listed in `keep` (graph outputs, hooked activations) are never fused away. For plans
/// that run backward, only activations whose derivative follows from their output are fused
/// (HardSwish stays a node of its own).
public enum Planner {
    public static func optimize(_ input: Graph, keep: Set<Int> = [], forBackward: Bool = false) -> Graph {
        var g = input
        let protected = keep.union(g.outputs)
        removeIdentities(&g)
        var changed = true
        while changed {
            changed = false
            let consumers = g.consumers()
            for i in g.nodes.indices {
                let node = g.nodes[i]
                guard let producerIndex = g.nodes.firstIndex(where: { $0.output == node.inputs.first }),
                      consumers[node.inputs[0]].count == 1, !protected.contains(node.inputs[0]) else { continue }
                let producer = g.nodes[producerIndex]
                if let conv = node.op as? Conv, let pad = producer.op as? Rearrange, let pads = spatialZeroPads(pad, rank: g.values[producer.inputs[0]].shape.count) {
                    var merged = conv
                    merged.pads = (conv.pads.0 + pads.0, conv.pads.1 + pads.1, conv.pads.2 + pads.2, conv.pads.3 + pads.3)
                    g.nodes[i].op = merged
                    g.nodes[i].inputs[0] = producer.inputs[0]
                    g.nodes.remove(at: producerIndex)
                    changed = true
                    break
                }
                if node.op is BatchNorm, var conv = producer.op as? Conv, conv.activation == .identity,
                   node.inputs[1...].allSatisfy({ g.values[$0].constant != nil }), g.values[producer.inputs[1]].constant != nil {
                    let p = node.inputs[1...].map { g.values[$0].constant!.storage }
                    let (a, b) = BatchNorm.affine(scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: (node.op as! BatchNorm).epsilon)
                    var w = g.values[producer.inputs[1]].constant!
                    let per = w.count / a.count
                    for o in 0..<a.count { for j in 0..<per { w.storage[o * per + j] *= a[o] } }
                    var bias = producer.inputs.count > 2 ? g.values[producer.inputs[2]].constant!.storage : [Float](repeating: 0, count: a.count)
                    for o in 0..<a.count { bias[o] = a[o] * bias[o] + b[o] }
                    let wId = g.addValue(name: g.values[producer.inputs[1]].name + "+bn", shape: w.shape, constant: w)
                    let bId = g.addValue(name: g.values[node.output].name + ".bias", shape: [a.count], constant: Tensor(shape: [a.count], storage: bias))
                    conv.activation = .identity
                    g.nodes[producerIndex].inputs = [producer.inputs[0], wId, bId]
                    g.nodes[producerIndex].op = conv
                    g.nodes[producerIndex].output = node.output
                    g.nodes.remove(at: i)
                    changed = true
                    break
                }
                if let act = node.op as? Activation, act.kind != .identity, !forBackward || act.kind.derivativeFromOutput {
                    if var conv = producer.op as? Conv, conv.activation == .identity {
                        conv.activation = act.kind
                        g.nodes[producerIndex].op = conv
                    } else if var gemm = producer.op as? Gemm, gemm.activation == .identity {
                        gemm.activation = act.kind
                        g.nodes[producerIndex].op = gemm
                    } else { continue }
                    g.nodes[producerIndex].output = node.output
                    g.nodes.remove(at: i)
                    changed = true
                    break
                }
            }
        }
        removeDeadNodes(&g)
        return g
    }

    /// Pads (top, left, bottom, right) if `op` is a constant-zero Pad of only the last two axes of a 4-D tensor.
    static func spatialZeroPads(_ op: Rearrange, rank: Int) -> (Int, Int, Int, Int)? {
        guard rank == 4, case .pad(let pads, .constant, 0) = op.kind, pads.count == 8, pads.allSatisfy({ $0 >= 0 }),
              pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else { return nil }
        return (pads[2], pads[3], pads[6], pads[7])
    }

    static func removeIdentities(_ g: inout Graph) {
        var replace: [Int: Int] = [:]
        g.nodes.removeAll { node in
            if let act = node.op as? Activation, act.kind == .identity, !g.outputs.contains(node.output) {
                replace[node.output] = replace[node.inputs[0]] ?? node.inputs[0]
                return true
            }
            return false
        }
        for i in g.nodes.indices { g.nodes[i].inputs = g.nodes[i].inputs.map { replace[$0] ?? $0 } }
    }

    static func removeDeadNodes(_ g: inout Graph) {
        var needed = Set(g.outputs)
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for i in g.nodes.indices.reversed() where needed.contains(g.nodes[i].output) {
            keep[i] = true
            needed.formUnion(g.nodes[i].inputs)
        }
        g.nodes = g.nodes.enumerated().filter { keep[$0.offset] }.map(\.element)
    }
}
