import Dispatch
import ProbityCore

/// An executable form of a graph: planned ops in order, every value placed in one arena.
///
/// Forward-only plans reuse memory: a value's slot is freed after its last reader runs, and
/// reused by later values (greedy first fit). Plans that keep activations (for backward passes
/// and hooks) give every value its own slot. A plan owns its arena and is not thread-safe:
/// use one per thread.
public final class Plan: @unchecked Sendable {
    public let graph: Graph
    let ops: [any Operator]
    /// Offset of each value in `arena` (-1 for values no node reads).
    let offsets: [Int]
    let arena: UnsafeMutablePointer<Float>
    let arenaCount: Int
    public let context: ExecutionContext
    /// When set, `execute` adds each node's wall time to its entry (keyed by op type and
    /// kernel variant), for `probity bench engine --profile`.
    public var profile: [String: Double]? = nil
    /// True when every value has its own slot, so a backward pass can read them all.
    public let keepsActivations: Bool
    /// Gradient memory for `backward`, grown on demand.
    private var gradients: UnsafeMutablePointer<Float>? = nil
    private var gradientCount = 0
    /// Whether `backward` lets an op write a gradient whole instead of zeroing it first
    /// (`Operator.writesFreshGradient`); tests turn it off to compare the two.
    var writesFreshGradients = true
    /// Gradient buffers the last `backward` had written whole rather than zeroed (for tests).
    var lastFreshGradientCount = 0
    /// Tests: fills the gradient memory with NaN, so a gradient element no op wrote shows.
    func poisonGradients(count: Int) {
        gradientArena(count: count).update(repeating: .nan, count: Swift.max(gradientCount, count))
    }

    /// Plans `graph` (which should already be `Planner.optimize`d).
    public init(_ graph: Graph, keepActivations: Bool = false, context: ExecutionContext = ExecutionContext()) {
        self.graph = graph
        self.context = context
        keepsActivations = keepActivations
        ops = graph.nodes.map { node in node.op.planned(for: node.inputs.map { graph.values[$0].shape }) }
        let (offsets, count, constants) = Plan.layout(graph, keepActivations: keepActivations)
        self.offsets = offsets
        arenaCount = count
        arena = .allocate(capacity: arenaCount)
        arena.initialize(repeating: 0, count: arenaCount)
        for v in constants {
            graph.values[v].constant!.storage.withUnsafeBufferPointer { (arena + offsets[v]).update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    deinit { arena.deallocate(); gradients?.deallocate() }

    /// Where every value of `graph` lives in the arena (-1 for values no node reads), the
    /// arena's size in floats, and the constants placed in it (copied in by `init`).
    static func layout(_ graph: Graph, keepActivations: Bool) -> (offsets: [Int], count: Int, constants: [Int]) {
        // Last reader of each value (outputs live to the end).
        var lastUse = [Int](repeating: -1, count: graph.values.count)
        for (i, node) in graph.nodes.enumerated() { for v in node.inputs { lastUse[v] = i } }
        for v in graph.outputs { lastUse[v] = Int.max }

        var offsets = [Int](repeating: -1, count: graph.values.count)
        var slots = SlotAllocator(reuse: !keepActivations)
        func slotSize(_ v: Int) -> Int { SlotAllocator.size(graph.values[v].count) }
        func allocate(_ v: Int) -> Int { slots.allocate(slotSize(v)) }
        // Constants get slots of their own that are never freed.
        let read = Set(graph.nodes.flatMap(\.inputs))
        let constants = graph.values.indices.filter { graph.values[$0].constant != nil && read.contains($0) }
        for v in constants { offsets[v] = allocate(v) }
        for v in graph.inputs { offsets[v] = allocate(v) }
        for (i, node) in graph.nodes.enumerated() {
            offsets[node.output] = allocate(node.output)
            if !keepActivations {
                for v in Set(node.inputs) where lastUse[v] == i && graph.values[v].constant == nil {
                    slots.release(offsets[v], slotSize(v))
                }
            }
        }
        return (offsets, Swift.max(slots.top, 1), constants)
    }

    /// The bytes of the arena a plan of `graph` would allocate, without allocating it.
    public static func arenaBytes(_ graph: Graph, keepActivations: Bool = false) -> Int {
        layout(graph, keepActivations: keepActivations).count * 4
    }

    /// At least `count` floats of gradient memory (contents undefined).
    func gradientArena(count: Int) -> UnsafeMutablePointer<Float> {
        if gradientCount < count {
            gradients?.deallocate()
            gradients = .allocate(capacity: count)
            gradientCount = count
        }
        return gradients!
    }

    /// Replaces the contents of constant `v` (weights) in the arena, for training steps.
    /// The graph keeps its original constant; `tensor(of:)` returns the arena's contents.
    public func setConstant(_ v: Int, _ t: Tensor) {
        precondition(t.count == graph.values[v].count && offsets[v] >= 0, "setConstant: \(graph.values[v].name) has \(graph.values[v].shape)")
        t.storage.withUnsafeBufferPointer { (arena + offsets[v]).update(from: $0.baseAddress!, count: t.count) }
    }

    /// Bytes of activation memory this plan holds.
    public var arenaBytes: Int { arenaCount * 4 }

    /// Bytes this plan holds in all: its arena (activations and the weights copied into it) and
    /// the gradient memory its backward passes grew.
    public var residentBytes: Int { (arenaCount + gradientCount) * 4 }

    func view(_ v: Int) -> ConstView {
        ConstView(pointer: UnsafePointer(arena + offsets[v]), shape: graph.values[v].shape)
    }

    /// Runs the graph on `inputs` (one tensor per graph input, shapes as planned) and returns
    /// the graph outputs.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        try execute(inputs)
        return graph.outputs.map { tensor(of: $0) }
    }

    /// Runs the graph, leaving every value in the arena (read them with `tensor(of:)`).
    public func execute(_ inputs: [Tensor]) throws {
        guard inputs.count == graph.inputs.count else {
            throw ProbityError.invalidArgument("the model takes \(graph.inputs.count) inputs, got \(inputs.count)")
        }
        for (t, v) in zip(inputs, graph.inputs) {
            guard t.shape == graph.values[v].shape else {
                throw ProbityError.invalidArgument("input \(graph.values[v].name) has shape \(t.shape), the plan was made for \(graph.values[v].shape)")
            }
            t.storage.withUnsafeBufferPointer { (arena + offsets[v]).update(from: $0.baseAddress!, count: t.count) }
        }
        for (i, node) in graph.nodes.enumerated() {
            let ins = node.inputs.map { view($0) }
            let out = MutableView(pointer: arena + offsets[node.output], shape: graph.values[node.output].shape)
            profiled(Plan.profileKey(ops[i], ins)) { ops[i].forward(ins, out, context) }
        }
    }

    /// The current contents of value `v` (after `execute`), as a tensor.
    public func tensor(of v: Int) -> Tensor {
        if let c = graph.values[v].constant, offsets[v] < 0 { return c }
        let count = graph.values[v].count
        return Tensor(shape: graph.values[v].shape, storage: Array(UnsafeBufferPointer(start: arena + offsets[v], count: count)))
    }
}

extension Plan {
    /// Runs `body`, adding its wall time to `profile[key]` when profiling (the key is built
    /// only then).
    @inline(__always)
    func profiled(_ key: @autoclosure () -> String, _ body: () -> Void) {
        guard profile != nil else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        profile![key(), default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Op type plus, for convolutions, which kernel runs (pointwise, depthwise, im2col).
    static func profileKey(_ op: any Operator, _ inputs: [ConstView]) -> String {
        guard let conv = op as? Conv, inputs.count > 1 else { return op.type }
        let w = inputs[1].shape
        if w[1] == 1 && conv.group == inputs[0].shape[1] { return "Conv depthwise \(w[2])×\(w[3]) s\(conv.strides.0) on \(inputs[0].shape[2])²" }
        if w[2] == 1 && w[3] == 1 && conv.strides == (1, 1) { return "Conv pointwise" }
        return "Conv im2col \(w[2])×\(w[3])"
    }
}

/// Greedy memory slots for plan arenas: a freed slot is reused by the smallest free slot that
/// fits (splitting off the rest), otherwise the arena grows. Slots are rounded to 16 floats
/// (64-byte alignment).
struct SlotAllocator {
    /// When false, nothing is ever reused (plans that keep every activation).
    let reuse: Bool
    private(set) var top = 0
    private var free: [(offset: Int, size: Int)] = []

    init(reuse: Bool = true) { self.reuse = reuse }

    static func size(_ count: Int) -> Int { (count + 15) & ~15 }

    mutating func allocate(_ size: Int) -> Int {
        if reuse, let k = free.indices.filter({ free[$0].size >= size }).min(by: { free[$0].size < free[$1].size }) {
            let slot = free.remove(at: k)
            if slot.size > size { free.append((slot.offset + size, slot.size - size)) }
            return slot.offset
        }
        top += size
        return top - size
    }

    mutating func release(_ offset: Int, _ size: Int) { free.append((offset, size)) }
}
