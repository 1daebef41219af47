import Foundation
import ProbityCore

/// A classifier ready to run, whatever file it came from: the engine's runtime. It gets its
/// graph from a `source` (the ONNX importer, or a test's hand-built graph) per batch size,
/// plans it once per input shape (plans are cached), and runs forward and backward passes in
/// the chunks of `Chunking`, at most `maxBatch` samples each. `logits` are the scores the
/// source's graph outputs (for ONNX, before any final `Softmax`/`LogSoftmax`).
///
/// A sample's logits do not depend on the batch it runs in: every kernel computes each sample
/// with the same operations in the same order (`ParityTests` checks bit equality). Randomized
/// copies (`randomized(layers:seed:)`) share the source and replace constants by name.
open class GraphModel: Model, @unchecked Sendable {
    /// What the model is called in messages (for files, the path).
    public let name: String
    public let inputShape: [Int]
    public var maxBatch: Int
    /// The most samples one backward pass runs at once (at most `maxBatch`). Backward plans keep
    /// every activation of their batch — about 55 MB a sample for EfficientNet-Lite0 at 224 px,
    /// 0.9 GB at 16 — and kernels run each sample on its own, so smaller chunks cost little speed.
    public var maxBackwardBatch = 16
    /// The most bytes the cached plans may hold together (`Plan.residentBytes`: activation
    /// arenas, the weights copied into them, gradient memory). Beyond it the least recently used
    /// plans are dropped, never the one about to run: a suite's explainers and metrics each reuse
    /// their own plans, and the plans of a finished stage (a backward plan of Integrated
    /// Gradients while occlusion runs) do not stay resident. A plan dropped too early is planned
    /// again and its arenas touched afresh: little against a stage that reuses its plans, but code
    /// that alternates two large backward plans pays it at every switch (on Lite0, Integrated
    /// Gradients timed beside a batch-32 gradient took 1.77 s an image instead of 1.45), so raise
    /// the budget for such work (`probity bench` does for its paired stages).
    public var planMemoryBudget = 1 << 30
    /// The most lanes a call runs on (see `GraphModel+Lanes`): with `threads` > 1, a call of at
    /// least that many samples runs its samples side by side on one-thread copies of the model,
    /// one per thread, instead of splitting each op over the threads. 1 splits every op.
    public var maxLanes = GraphModel.defaultMaxLanes
    /// The batch extent the model declares, when it is fixed: chunks are padded to it.
    public let fixedBatch: Int?
    /// Constants replaced by name after the source builds the graph (randomized layers).
    public let overrides: [String: Tensor]
    /// The graph for inputs [batch] + `inputShape`, its first output the logits.
    public let source: @Sendable (_ batch: Int) throws -> Graph
    /// Imported graphs and randomized weights, shared with randomized copies.
    let shared: SharedImports
    let context: ExecutionContext
    private let lock = NSRecursiveLock()
    /// Forward plans by input shape (at most `forwardPlanLimit`).
    private var plans: [[Int]: Plan] = [:]
    /// Plans that keep activations for backward passes, by batch and hooked values (at most two).
    private var backwardPlans: [String: (Plan, [Int])] = [:]
    /// Every cached plan, forward and backward, least recently used first: the count limits and
    /// the memory budget both drop from its front.
    private var useOrder: [CachedPlan] = []
    /// `lanes` stands for every plan of the lanes (`laneModels`), used and dropped together.
    enum CachedPlan: Hashable { case forward([Int]), backward(String), lanes }
    /// The one-thread copies a call's samples run on side by side (made on first use).
    var laneModels: [GraphModel] = []
    /// Whether the node outputs hooked together (by joined name) hold samples on their first
    /// axis, as lanes need to join them.
    var hooksBatchFirst: [String: Bool] = [:]

    /// Forward plans kept: `Chunking` uses at most two batch sizes per evaluation, and a few
    /// evaluations of different sizes alternate in a run (frames of a curve, the image itself).
    static let forwardPlanLimit = 6

    /// A model over `source` (the batch-1 graph is built now, so a graph that cannot be built
    /// fails here). `fixedBatch` pads every chunk to that batch.
    public init(name: String, inputShape: [Int], fixedBatch: Int? = nil, maxBatch: Int = 32,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, overrides: [String: Tensor] = [:],
                source: @escaping @Sendable (_ batch: Int) throws -> Graph) throws {
        self.name = name
        self.inputShape = inputShape
        self.fixedBatch = fixedBatch
        self.maxBatch = fixedBatch ?? maxBatch
        self.overrides = overrides
        self.source = source
        shared = SharedImports(source)
        context = ExecutionContext(threads: threads)
        _ = try plan(batch: fixedBatch ?? 1)
    }

    /// A copy of `parent` with `overrides` (randomized layers), sharing its imports, on
    /// `threads` threads (the parent's by default).
    init(copying parent: GraphModel, overrides: [String: Tensor], threads: Int? = nil) {
        name = parent.name
        inputShape = parent.inputShape
        fixedBatch = parent.fixedBatch
        maxBatch = parent.maxBatch
        self.overrides = overrides
        source = parent.source
        shared = parent.shared
        maxLanes = parent.maxLanes
        context = ExecutionContext(threads: threads ?? parent.context.threads)
    }

    /// A copy to run beside this model on another thread: the same graph, weights and
    /// randomized layers (imports shared), its own plans and `threads` threads. Its results
    /// equal this model's bit for bit, since every kernel computes a sample the same way on any
    /// number of threads (`ParityTests`). A call's samples run side by side on such copies
    /// (`GraphModel+Lanes`), and the harness runs a small model's batches so (`Lanes`).
    public func concurrentCopy(threads: Int) -> GraphModel {
        let copy = GraphModel(copying: self, overrides: overrides, threads: threads)
        copy.maxBackwardBatch = maxBackwardBatch
        copy.planMemoryBudget = planMemoryBudget
        return copy
    }

    /// Bytes the forward plan at `batch` holds in its arena (activations and the weights copied
    /// into it), from the plan's layout without allocating it: how large the model is to run.
    public func planBytes(batch: Int) throws -> Int { Plan.arenaBytes(Planner.optimize(try importedGraph(batch: batch))) }

    var executionContext: ExecutionContext { context }
    public var threads: Int { context.threads }

    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    func cachedBackwardPlan(_ key: String) -> (Plan, [Int])? {
        guard let entry = backwardPlans[key] else { return nil }
        use(.backward(key))
        return entry
    }
    /// Keeps at most two backward plans (each holds every activation of its batch; the least
    /// recently used goes first), within the memory budget.
    func storeBackwardPlan(_ key: String, _ entry: (Plan, [Int])) {
        if backwardPlans.count >= 2, let victim = leastRecentlyUsed(backward: true) { drop(victim) }
        backwardPlans[key] = entry
        use(.backward(key))
    }

    /// The least recently used cached forward (or backward) plan.
    private func leastRecentlyUsed(backward: Bool) -> CachedPlan? {
        useOrder.first {
            switch $0 {
            case .forward: return !backward
            case .backward: return backward
            case .lanes: return false
            }
        }
    }

    /// Marks `entry` most recently used, then drops least recently used plans other than it
    /// while the cache holds more than `planMemoryBudget` (call under the lock).
    func use(_ entry: CachedPlan) {
        if useOrder.last != entry { useOrder.removeAll { $0 == entry }; useOrder.append(entry) }
        makeRoom(0, keeping: entry)
    }

    /// Drops least recently used plans (other than `entry`) until `bytes` more fit in the budget:
    /// called before a new plan allocates its arena, so old and new are not resident together
    /// (call under the lock). The lanes' plans count as one entry, dropped all together.
    func makeRoom(_ bytes: Int, keeping entry: CachedPlan? = nil) {
        var total = residentBytes() + laneBytes()
        while total + bytes > planMemoryBudget, let victim = useOrder.first(where: { $0 != entry }) {
            total -= self.bytes(of: victim)
            drop(victim)
        }
    }

    /// Drops every cached plan.
    func dropPlans() {
        locked {
            plans = [:]
            backwardPlans = [:]
            useOrder = []
        }
    }

    private func bytes(of entry: CachedPlan) -> Int {
        switch entry {
        case .forward(let shape): return plans[shape]?.residentBytes ?? 0
        case .backward(let key): return backwardPlans[key]?.0.residentBytes ?? 0
        case .lanes: return laneBytes()
        }
    }

    private func drop(_ entry: CachedPlan) {
        switch entry {
        case .forward(let shape): plans[shape] = nil
        case .backward(let key): backwardPlans[key] = nil
        case .lanes: for lane in laneModels { lane.dropPlans() }
        }
        useOrder.removeAll { $0 == entry }
    }

    /// Bytes the cached plans hold together (`Plan.residentBytes`), the lanes' included.
    public var cachedPlanBytes: Int { locked { residentBytes() + laneBytes() } }

    /// Bytes the lanes' cached plans hold.
    private func laneBytes() -> Int { laneModels.reduce(0) { $0 + $1.cachedPlanBytes } }

    /// Bytes this model's own cached plans hold, not the lanes' (call under the lock).
    func residentBytes() -> Int {
        plans.values.reduce(0) { $0 + $1.residentBytes } + backwardPlans.values.reduce(0) { $0 + $1.0.residentBytes }
    }

    /// The optimized graph for a batch size (for inspection: layers, FLOPs).
    public func graph(batch: Int = 1) throws -> Graph { try locked { try plan(batch: batch).graph } }

    /// The unoptimized graph from the source, with the overrides applied.
    public func importedGraph(batch: Int = 1) throws -> Graph {
        var g = try shared.graph(batch: batch)
        if !overrides.isEmpty {
            for v in g.values.indices where g.values[v].constant != nil {
                if let t = overrides[g.values[v].name] { g.values[v].constant = t }
            }
        }
        return g
    }

    /// Per-op wall time of one forward pass at `batch` (seconds by op type and kernel), on
    /// this model's own plan, each op split over the threads (not on lanes).
    public func profile(_ x: Tensor) throws -> [String: Double] {
        try locked {
            let p = try plan(batch: x.shape[0])
            p.profile = [:]
            defer { p.profile = nil }
            try p.execute([x])
            return p.profile ?? [:]
        }
    }

    /// The most elements one tensor of one sample may hold (2²⁸, 1 GiB of floats): a model whose
    /// shapes declare more (a damaged or hostile file, or fixed 10⁶ × 10⁶ inputs) is refused
    /// before any buffer is allocated.
    public static let maxElementsPerSample = 1 << 28

    /// Refuses graphs whose tensors exceed `maxElementsPerSample` per sample.
    func checkSizes(_ graph: Graph, batch: Int) throws {
        for value in graph.values {
            let elements = value.shape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).overflow ? Int.max : $0 * max($1, 0) }
            if elements / max(batch, 1) > GraphModel.maxElementsPerSample {
                throw ProbityError.badFile(name, "tensor \(value.name) would hold \(value.shape.map(String.init).joined(separator: "×")) values, more than the \(GraphModel.maxElementsPerSample) per sample Probity allocates (check the model's input size)")
            }
        }
    }

    /// The forward plan at `batch` (call under the lock).
    func plan(batch: Int) throws -> Plan {
        let shape = [batch] + inputShape
        if let p = plans[shape] {
            use(.forward(shape))
            return p
        }
        let imported = try importedGraph(batch: batch)
        try checkSizes(imported, batch: batch)
        let optimized = Planner.optimize(imported)
        makeRoom(Plan.arenaBytes(optimized))
        let p = Plan(optimized, context: context)
        if plans.count >= GraphModel.forwardPlanLimit, let victim = leastRecentlyUsed(backward: false) { drop(victim) }
        plans[shape] = p
        use(.forward(shape))
        return p
    }

    func checkInput(_ x: Tensor) throws {
        guard x.rank == 4, Array(x.shape.dropFirst()) == inputShape else {
            throw ProbityError.invalidArgument("\(name): expected input [N, \(inputShape.map(String.init).joined(separator: ", "))], got \(x.shape)")
        }
    }

    /// `x` split into chunks of `sizes`, each padded with zero rows to `fixedBatch` when the
    /// model has one, else to `padTo` when given: (chunk, its planned batch, range of x).
    func chunks(_ x: Tensor, sizes: [Int], padTo: Int? = nil) -> [(batch: Tensor, planned: Int, range: Range<Int>)] {
        var start = 0
        return sizes.map { count in
            defer { start += count }
            let range = start..<(start + count)
            var batch = count == x.shape[0] ? x : x.slice(batch: range)
            let planned = fixedBatch ?? padTo ?? count
            if planned != count { batch = Tensor.concatenate(batch: [batch, Tensor(shape: [planned - count] + inputShape)]) }
            return (batch, planned, range)
        }
    }

    public func logits(_ x: Tensor) throws -> Tensor {
        try checkInput(x)
        return try locked {
            if let lanes = lanes(samples: x.shape[0]) {
                return GraphModel.join(try sideBySide(x, on: lanes) { lane, part, _ in try lane.logits(part) })
            }
            var parts: [Tensor] = []
            for (batch, planned, range) in chunks(x, sizes: Chunking.sizes(x.shape[0], limit: maxBatch)) {
                var out = try plan(batch: planned).run([batch])[0]
                out = out.rank == 2 ? out : out.reshaped(to: [planned, -1])
                parts.append(planned == range.count ? out : out.slice(batch: 0..<range.count))
            }
            return GraphModel.join(parts)
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
    /// layers already randomized in `self` stay as they are. Copies share the imported graphs
    /// and each layer's new weights (`SharedImports`), so randomizing the same layers again, batch
    /// after batch of a run, costs only the planning.
    public func randomized(layers names: [String], seed: UInt64) throws -> Model {
        let fresh = try shared.reinitialized(layers: names, seed: seed)
        return GraphModel(copying: self, overrides: overrides.merging(fresh) { $1 })
    }
}
