import Foundation
import ProbityCore

extension GraphModel {
    /// The value ids of the node outputs named `hooks` in `graph`.
    func hookIds(_ hooks: [String], in graph: Graph) throws -> [Int] {
        try hooks.map { hook -> Int in
            guard let id = graph.value(named: hook), graph.values[id].constant == nil else {
                let names = graph.nodes.map { graph.values[$0.output].name }
                throw ProbityError.invalidArgument("\(name): no node output named \(hook); the last ones are: \(names.suffix(8).joined(separator: ", ")) (all in `probity model layers --all`)")
            }
            return id
        }
    }

    /// The plan for backward passes at `batch` with `hooks` protected from fusion, and the
    /// value ids of the hooks. Cached.
    func backwardPlan(batch: Int, hooks: [String]) throws -> (Plan, [Int]) {
        let key = "\(batch)|" + hooks.joined(separator: "\u{1F}")
        if let cached = cachedBackwardPlan(key) { return cached }
        let imported = try importedGraph(batch: batch)
        let ids = try hookIds(hooks, in: imported)
        let graph = Planner.optimize(imported, keep: Set(ids), forBackward: true)
        makeRoom(Plan.arenaBytes(graph, keepActivations: true))
        let plan = Plan(graph, keepActivations: true, context: executionContext)
        storeBackwardPlan(key, (plan, ids))
        return (plan, ids)
    }

    /// A forward plan at `batch` whose outputs are the logits and then the hooked values. It is
    /// optimized as backward plans are (the same fusions), so the hooked activations are the
    /// ones `backward` returns, but it frees every other value after its last reader. Cached
    /// with the backward plans.
    func hookPlan(batch: Int, hooks: [String]) throws -> (Plan, [Int]) {
        let key = "forward \(batch)|" + hooks.joined(separator: "\u{1F}")
        if let cached = cachedBackwardPlan(key) { return cached }
        var imported = try importedGraph(batch: batch)
        let ids = try hookIds(hooks, in: imported)
        imported.outputs = [imported.outputs[0]] + ids
        let graph = Planner.optimize(imported, keep: Set(ids), forBackward: true)
        makeRoom(Plan.arenaBytes(graph))
        let plan = Plan(graph, context: executionContext)
        storeBackwardPlan(key, (plan, ids))
        return (plan, ids)
    }

    public func forward(_ x: Tensor, hooks: [String]) throws -> (logits: Tensor, activations: [String: Tensor]) {
        try checkInput(x)
        return try locked {
            if let lanes = lanes(samples: x.shape[0], hooks: hooks) {
                let parts = try sideBySide(x, on: lanes) { lane, part, _ in try lane.forward(part, hooks: hooks) }
                return (GraphModel.join(parts.map(\.logits)), GraphModel.join(parts.map(\.activations)))
            }
            var logits: [Tensor] = [], acts: [String: [Tensor]] = [:]
            for (batch, planned, range) in chunks(x, sizes: Chunking.sizes(x.shape[0], limit: maxBatch)) {
                let (plan, ids) = try hookPlan(batch: planned, hooks: hooks)
                try plan.execute([batch])
                func trim(_ t: Tensor) -> Tensor { planned == range.count ? t : t.slice(batch: 0..<range.count) }
                let out = plan.tensor(of: plan.graph.outputs[0])
                logits.append(trim(out.reshaped(to: [planned, out.count / planned])))
                for (hook, id) in zip(hooks, ids) { acts[hook, default: []].append(trim(plan.tensor(of: id))) }
            }
            return (GraphModel.join(logits), acts.mapValues(GraphModel.join))
        }
    }

    public func backward(_ x: Tensor, rule: BackwardRule = .gradient, hooks: [String] = [],
                         seed: (_ logits: Tensor, _ range: Range<Int>) throws -> Tensor) throws -> ModelGradients {
        try checkInput(x)
        return try locked {
            if let lanes = lanes(samples: x.shape[0], hooks: hooks) {
                // Lanes ask for seeds from their threads: one at a time, with ranges of all of x.
                let seedLock = NSLock()
                let parts = try sideBySide(x, on: lanes) { lane, part, range in
                    try lane.backward(part, rule: rule, hooks: hooks) { logits, rows in
                        seedLock.lock(); defer { seedLock.unlock() }
                        return try seed(logits, (range.lowerBound + rows.lowerBound)..<(range.lowerBound + rows.upperBound))
                    }
                }
                return ModelGradients(logits: GraphModel.join(parts.map(\.logits)), input: GraphModel.join(parts.map(\.input)),
                                      activations: GraphModel.join(parts.map(\.activations)),
                                      hookGradients: GraphModel.join(parts.map(\.hookGradients)))
            }
            let n = x.shape[0]
            var logits: [Tensor] = [], grads: [Tensor] = []
            var acts: [String: [Tensor]] = [:], hookGrads: [String: [Tensor]] = [:]
            // Equal chunks (smaller ones padded with a zero row), so n samples use one plan size:
            // plans that keep activations are large, and 50 samples run as 5 × 10, not 32 + 18.
            let sizes = Chunking.paddedSizes(n, limit: Swift.min(maxBatch, maxBackwardBatch), threads: threads)
            for (batch, planned, range) in chunks(x, sizes: sizes, padTo: sizes.first) {
                let count = range.count
                let (plan, ids) = try backwardPlan(batch: planned, hooks: hooks)
                try plan.execute([batch])
                let outId = plan.graph.outputs[0]
                var out = plan.tensor(of: outId)
                out = out.reshaped(to: [planned, out.count / planned])
                let rows = planned == count ? out : out.slice(batch: 0..<count)
                var s = try seed(rows, range)
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
            }
            return ModelGradients(logits: GraphModel.join(logits), input: GraphModel.join(grads),
                                  activations: acts.mapValues(GraphModel.join), hookGradients: hookGrads.mapValues(GraphModel.join))
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
}
