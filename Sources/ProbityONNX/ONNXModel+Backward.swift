import Foundation
import ProbityCore
import ProbityEngine

extension ONNXModel {
    /// The plan for backward passes at `batch` with `hooks` protected from fusion, and the
    /// value ids of the hooks. Cached.
    func backwardPlan(batch: Int, hooks: [String]) throws -> (Plan, [Int]) {
        let key = "\(batch)|" + hooks.joined(separator: "\u{1F}")
        if let cached = cachedBackwardPlan(key) { return cached }
        let imported = try importedGraph(batch: batch)
        let ids = try hooks.map { name -> Int in
            guard let id = imported.value(named: name), imported.values[id].constant == nil else {
                let names = imported.nodes.map { imported.values[$0.output].name }
                throw ProbityError.invalidArgument("\(path): no node output named \(name); the last ones are: \(names.suffix(8).joined(separator: ", ")) (all in `probity model layers --all`)")
            }
            return id
        }
        let graph = Planner.optimize(imported, keep: Set(ids), forBackward: true)
        let plan = Plan(graph, keepActivations: true, context: executionContext)
        storeBackwardPlan(key, (plan, ids))
        return (plan, ids)
    }

    public func backward(_ x: Tensor, rule: BackwardRule = .gradient, hooks: [String] = [],
                         seed: (_ logits: Tensor, _ range: Range<Int>) throws -> Tensor) throws -> ModelGradients {
        guard x.rank == 4, Array(x.shape.dropFirst()) == inputShape else {
            throw ProbityError.invalidArgument("\(path): expected input [N, \(inputShape.map(String.init).joined(separator: ", "))], got \(x.shape)")
        }
        return try locked {
            let n = x.shape[0]
            var logits: [Tensor] = [], grads: [Tensor] = []
            var acts: [String: [Tensor]] = [:], hookGrads: [String: [Tensor]] = [:]
            // Equal chunks (the last padded with zero rows), so n samples use one plan size:
            // plans that keep activations are large, and 50 samples run as 25 + 25, not 32 + 18.
            let chunks = (n + maxBatch - 1) / maxBatch
            let size = (n + chunks - 1) / chunks
            var start = 0
            while start < n {
                let count = Swift.min(size, n - start)
                var batch = count == n ? x : x.slice(batch: start..<(start + count))
                let planned = fixedBatch ?? size
                if planned != count { batch = Tensor.concatenate(batch: [batch, Tensor(shape: [planned - count] + inputShape)]) }
                let (plan, ids) = try backwardPlan(batch: planned, hooks: hooks)
                try plan.execute([batch])
                let outId = plan.graph.outputs[0]
                var out = plan.tensor(of: outId)
                out = out.reshaped(to: [planned, out.count / planned])
                let rows = planned == count ? out : out.slice(batch: 0..<count)
                var s = try seed(rows, start..<(start + count))
                guard s.shape == rows.shape else {
                    throw ProbityError.invalidArgument("seed has shape \(s.shape), expected \(rows.shape)")
                }
                if planned != count { s = Tensor.concatenate(batch: [s, Tensor(shape: [planned - count, rows.shape[1]])]) }
                let result = try plan.backward(seed: s.reshaped(to: plan.graph.values[outId].shape), rule: rule, wrt: plan.graph.inputs, hooks: ids)
                func trim(_ t: Tensor) -> Tensor { planned == count ? t : t.slice(batch: 0..<count) }
                logits.append(rows)
                grads.append(trim(result.gradients[plan.graph.inputs[0]]!))
                for (name, id) in zip(hooks, ids) {
                    acts[name, default: []].append(trim(result.activations[id]!))
                    hookGrads[name, default: []].append(trim(result.hookGradients[id]!))
                }
                start += count
            }
            func join(_ parts: [Tensor]) -> Tensor { parts.count == 1 ? parts[0] : Tensor.concatenate(batch: parts) }
            return ModelGradients(logits: join(logits), input: join(grads),
                                  activations: acts.mapValues(join), hookGradients: hookGrads.mapValues(join))
        }
    }

    /// Per-op wall time of one forward and backward pass (to the input) at `batch`, keyed by
    /// op and kernel, backward entries prefixed "backward: ".
    public func profileBackward(_ x: Tensor) throws -> [String: Double] {
        try locked {
            let (plan, _) = try backwardPlan(batch: x.shape[0], hooks: [])
            plan.profile = [:]
            defer { plan.profile = nil }
            try plan.execute([x])
            let out = plan.graph.outputs[0]
            var seed = Tensor(shape: plan.graph.values[out].shape)
            let classes = seed.count / x.shape[0]
            for i in 0..<x.shape[0] { seed.storage[i * classes] = 1 }
            _ = try plan.backward(seed: seed, wrt: plan.graph.inputs)
            return plan.profile ?? [:]
        }
    }

    public func nodeOutputs() throws -> [(name: String, shape: [Int])] {
        let g = try importedGraph(batch: 1)
        return g.nodes.map { (g.values[$0.output].name, g.values[$0.output].shape) }
    }

    /// Layers with trainable weights, in graph order (see `Randomization`).
    public var layers: [String] {
        get throws { Randomization.layers(of: try importedGraph(batch: 1)).map(\.name) }
    }

    /// A copy with the named layers re-initialized as PyTorch's `reset_parameters()` would;
    /// layers already randomized in `self` stay as they are.
    public func randomized(layers names: [String], seed: UInt64) throws -> Model {
        let fresh = try Randomization.reinitialize(graph: importedGraph(batch: 1), layers: names, seed: seed)
        return try ONNXModel(importer: importer, inputShape: inputShape, maxBatch: maxBatch, threads: executionContext.threads,
                             overrides: overrides.merging(fresh) { $1 })
    }
}
