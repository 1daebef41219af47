import Dispatch
import ProbityCore

/// What a backward pass returns: the gradient of every requested value, and for every hooked
/// value its activation and the gradient that flowed into it.
public struct BackwardResult: Sendable {
    public var gradients: [Int: Tensor]
    public var activations: [Int: Tensor]
    public var hookGradients: [Int: Tensor]
}

extension Plan {
    /// The rule each node runs under: activation rules for every node, LRP linear rules for
    /// Conv and Gemm (the first-layer rule for those whose data input comes from the graph
    /// input through no other linear layer).
    ///
    /// Under LRP rules a MatMul with a constant operand is a dense layer; a product of two
    /// variables (MatMul, Mul) has the factor computed from the other one detached (a gate, such
    /// as GELU's Φ(x) in the exported x·Φ(x)), and with `attention == .valuesOnly` an operand that
    /// is a Softmax's output (through reshapes and transposes) is detached too: the AH-rule.
    public func nodeRules(_ rule: BackwardRule) -> [NodeRule] {
        var direct = [Bool](repeating: false, count: graph.values.count)
        for v in graph.inputs { direct[v] = true }
        let producer = Dictionary(graph.nodes.enumerated().map { ($1.output, $0) }, uniquingKeysWith: { a, _ in a })
        var rules: [NodeRule] = []
        for node in graph.nodes {
            let isConv = node.op is Conv
            let constantOperand = node.op is MatMul && node.inputs.contains { graph.values[$0].constant != nil }
            let isDense = node.op is Gemm || constantOperand
            let first = direct[node.inputs[0]]
            var linear = BackwardRule.Linear.gradient
            if isConv { linear = first ? (rule.firstLayer ?? rule.convolution) : rule.convolution }
            if isDense { linear = first ? (rule.firstLayer ?? rule.dense) : rule.dense }
            var nodeRule = NodeRule(activation: rule.activation, linear: linear, lrp: rule.isLRP, stabilizer: rule.stabilizer)
            let isProduct = node.op is MatMul || (node.op as? Binary)?.kind == .mul
            if rule.isLRP && isProduct && !constantOperand && node.inputs.count == 2 && node.inputs[0] != node.inputs[1] {
                nodeRule.detached = detachedFactors(node.inputs, attention: rule.attention, producer: producer)
            }
            rules.append(nodeRule)
            direct[node.output] = !(isConv || isDense || node.op is MatMul) && node.inputs.contains { direct[$0] }
        }
        return rules
    }

    /// Which of a product's two variable factors LRP holds constant: one computed from the other's
    /// signal (a gate: Φ(x) against x or 0.5·x), else with `.valuesOnly` an attention Softmax's
    /// output; none when both or neither.
    func detachedFactors(_ inputs: [Int], attention: BackwardRule.Attention, producer: [Int: Int]) -> [Bool] {
        if graph.values[inputs[0]].constant != nil || graph.values[inputs[1]].constant != nil { return [] }
        func dependsOn(_ v: Int, _ target: Int) -> Bool {
            var seen = Set<Int>(), stack = [v]
            while let u = stack.popLast() {
                if u == target { return true }
                guard seen.insert(u).inserted, let p = producer[u] else { continue }
                stack.append(contentsOf: graph.nodes[p].inputs)
            }
            return false
        }
        func movesOnly(_ op: any Operator) -> Bool {
            if op is Reshape { return true }
            if let r = op as? Rearrange, case .transpose = r.kind { return true }
            return false
        }
        // A factor's signal: the value it scales by constants or reshapes (0.5·x in 0.5·x·Φ(x)).
        func signal(_ v: Int) -> Int {
            var u = v
            while let p = producer[u] {
                let node = graph.nodes[p]
                if let b = node.op as? Binary, b.kind == .mul || b.kind == .div {
                    let constant = node.inputs.map { graph.values[$0].constant != nil }
                    if constant == [false, true] { u = node.inputs[0]; continue }
                    if constant == [true, false] && b.kind == .mul { u = node.inputs[1]; continue }
                    return u
                }
                guard movesOnly(node.op) else { return u }
                u = node.inputs[0]
            }
            return u
        }
        let gate = [dependsOn(inputs[0], signal(inputs[1])), dependsOn(inputs[1], signal(inputs[0]))]
        if gate[0] != gate[1] { return gate }
        guard attention == .valuesOnly else { return [] }
        func isSoftmax(_ v: Int) -> Bool {
            var u = v
            while let p = producer[u] {
                let op = graph.nodes[p].op
                if let s = op as? Softmax { return !s.log }
                guard movesOnly(op) else { return false }
                u = graph.nodes[p].inputs[0]
            }
            return false
        }
        let probabilities = inputs.map(isSoftmax)
        return probabilities[0] != probabilities[1] ? probabilities : []
    }

    /// Runs the backward pass of the last `execute`: `seed` is dL/d(output 0) (or the relevance
    /// at the output), `wrt` the values whose gradients are returned (graph inputs or
    /// weights), `hooks` values whose activation and incoming gradient are returned.
    ///
    /// Per-op vector-Jacobian products run over the planned nodes in reverse, reading the
    /// activations the forward pass kept. Gradient buffers live in their own arena, each
    /// from its first writer to its producer's backward, and are reused after that.
    public func backward(seed: Tensor, rule: BackwardRule = .gradient, wrt: [Int], hooks: [Int] = []) throws -> BackwardResult {
        guard keepsActivations else { throw ProbityError.invalidArgument("backward needs a plan made with keepActivations") }
        let out = graph.outputs[0]
        guard seed.count == graph.values[out].count else {
            throw ProbityError.invalidArgument("seed has shape \(seed.shape), the output \(graph.values[out].name) has \(graph.values[out].shape)")
        }
        // Values whose gradient is needed: those that depend on a `wrt` value.
        var needs = [Bool](repeating: false, count: graph.values.count)
        for v in wrt { needs[v] = true }
        for node in graph.nodes where node.inputs.contains(where: { needs[$0] }) { needs[node.output] = true }
        for v in hooks where !needs[v] {
            throw ProbityError.invalidArgument("hooked value \(graph.values[v].name) does not depend on the input, so no gradient flows into it")
        }
        let keep = Set(wrt)
        let producer = Dictionary(graph.nodes.enumerated().map { ($1.output, $0) }, uniquingKeysWith: { a, _ in a })

        // Gradient slots: allocated at the first writer (the latest consumer in forward order),
        // freed after the producer's backward has run. A slot is zeroed before its first writer
        // runs, unless that writer reads the value once and writes its gradient whole (`fresh`).
        let rules = nodeRules(rule)
        var offsets = [Int](repeating: -1, count: graph.values.count)
        var slots = SlotAllocator()
        var zeroAt = [[Int]](repeating: [], count: graph.nodes.count + 1)   // index nodes.count: before everything
        var fresh = [[Bool]](repeating: [], count: graph.nodes.count)
        func allocate(_ v: Int) -> Int { slots.allocate(SlotAllocator.size(graph.values[v].count)) }
        offsets[out] = allocate(out)
        zeroAt[graph.nodes.count].append(out)
        var order: [Int] = []
        for i in graph.nodes.indices.reversed() where needs[graph.nodes[i].output] && offsets[graph.nodes[i].output] >= 0 {
            order.append(i)
            let node = graph.nodes[i]
            for (j, v) in node.inputs.enumerated() where needs[v] && offsets[v] < 0 {
                offsets[v] = allocate(v)
                if writesFreshGradients && node.inputs.lastIndex(of: v) == j && node.inputs.firstIndex(of: v) == j
                    && ops[i].writesFreshGradient(input: j, rule: rules[i], inputs: node.inputs.map { graph.values[$0].shape },
                                                  output: graph.values[node.output].shape) {
                    if fresh[i].isEmpty { fresh[i] = [Bool](repeating: false, count: node.inputs.count) }
                    fresh[i][j] = true
                } else {
                    zeroAt[i].append(v)
                }
            }
            let o = graph.nodes[i].output
            if !keep.contains(o) { slots.release(offsets[o], SlotAllocator.size(graph.values[o].count)) }
        }
        lastFreshGradientCount = fresh.reduce(0) { $0 + $1.filter { $0 }.count }
        let grads = gradientArena(count: Swift.max(slots.top, 1))
        func gradView(_ v: Int) -> MutableView { MutableView(pointer: grads + offsets[v], shape: graph.values[v].shape) }
        for v in zeroAt[graph.nodes.count] { context.zero(gradView(v).pointer, count: graph.values[v].count) }
        seed.storage.withUnsafeBufferPointer { grads.advanced(by: offsets[out]).update(from: $0.baseAddress!, count: seed.count) }

        var hookGradients: [Int: Tensor] = [:]
        let hookSet = Set(hooks)
        func snapshot(_ v: Int) -> Tensor {
            if offsets[v] < 0 { return Tensor(shape: graph.values[v].shape) }
            return Tensor(shape: graph.values[v].shape, storage: Array(UnsafeBufferPointer(start: grads + offsets[v], count: graph.values[v].count)))
        }
        for i in order {
            let node = graph.nodes[i]
            profiled("backward: zeroing gradients") {
                for v in zeroAt[i] { context.zero(gradView(v).pointer, count: graph.values[v].count) }
            }
            if hookSet.contains(node.output) { hookGradients[node.output] = snapshot(node.output) }
            let args = BackwardArguments(inputs: node.inputs.map { view($0) }, output: view(node.output),
                                         gradOutput: gradView(node.output),
                                         gradInputs: node.inputs.map { needs[$0] && offsets[$0] >= 0 ? gradView($0) : nil }, rule: rules[i],
                                         fresh: fresh[i])
            profiled("backward: " + Plan.profileKey(ops[i], args.inputs)) { ops[i].backward(args, context) }
        }
        for v in hooks where producer[v] == nil || hookGradients[v] == nil { hookGradients[v] = snapshot(v) }
        var gradients: [Int: Tensor] = [:]
        for v in wrt { gradients[v] = snapshot(v) }
        var activations: [Int: Tensor] = [:]
        for v in hooks { activations[v] = tensor(of: v) }
        return BackwardResult(gradients: gradients, activations: activations, hookGradients: hookGradients)
    }
}
