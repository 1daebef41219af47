import Foundation
import ProbityCore
import ProbityEngine

/// An ONNX classifier ready to run: imported once, planned per input shape (plans are cached),
/// and run in batches of at most `maxBatch` samples. `logits` are the scores before any final
/// `Softmax`/`LogSoftmax` in the graph (`importer.finalSoftmax()` names it): metrics apply the
/// softmax themselves where they score probabilities, so it is never applied twice.
///
/// A sample's logits do not depend on the batch it runs in: every kernel computes each sample
/// with the same operations in the same order (`ONNXModelTests` checks bit equality).
public final class ONNXModel: Model, @unchecked Sendable {
    public let path: String
    public let importer: ONNXImporter
    public let inputShape: [Int]
    public var maxBatch: Int
    /// The batch extent the model declares, when it is not symbolic (exports without dynamic axes).
    public let fixedBatch: Int?
    private var plans: [[Int]: Plan] = [:]
    /// Plans that keep activations for backward passes, by batch and hooked values.
    private var backwardPlans: [String: (Plan, [Int])] = [:]
    private let lock = NSRecursiveLock()
    private let context: ExecutionContext
    var executionContext: ExecutionContext { context }

    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
    func cachedBackwardPlan(_ key: String) -> (Plan, [Int])? { backwardPlans[key] }
    /// Keeps at most two backward plans (each holds every activation of its batch).
    func storeBackwardPlan(_ key: String, _ entry: (Plan, [Int])) {
        if backwardPlans.count >= 2, let victim = backwardPlanOrder.first {
            backwardPlans[victim] = nil
            backwardPlanOrder.removeFirst()
        }
        backwardPlans[key] = entry
        backwardPlanOrder.append(key)
    }
    private var backwardPlanOrder: [String] = []
    /// Constants replaced by name after import (randomized layers).
    public let overrides: [String: Tensor]

    /// Loads `path`. `inputShape` ([C, H, W]) is used only for extents the model leaves symbolic.
    public convenience init(path: String, inputShape: [Int]? = nil, maxBatch: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        try self.init(importer: ONNXImporter(path: path), inputShape: inputShape, maxBatch: maxBatch, threads: threads, overrides: [:])
    }

    init(importer: ONNXImporter, inputShape: [Int]?, maxBatch: Int, threads: Int, overrides: [String: Tensor]) throws {
        let path = importer.file
        self.path = path
        self.importer = importer
        self.overrides = overrides
        guard importer.inputNames.count == 1 else {
            throw ProbityError.badFile(path, "expected a model with one image input, found \(importer.inputNames.count) inputs (\(importer.inputNames.joined(separator: ", ")))")
        }
        let declared = importer.declaredShape()
        guard declared.count == 4 else {
            throw ProbityError.badFile(path, "expected an image input [N, C, H, W], found rank \(declared.count)")
        }
        // Declared extents win; `inputShape` fills in the symbolic ones.
        var resolved: [Int] = []
        for k in 1..<4 {
            guard let extent = declared[k] ?? inputShape?[k - 1] else {
                throw ProbityError.badFile(path, "input \(importer.inputNames[0]) has symbolic extents \(declared.map { $0.map(String.init) ?? "?" }); give --input-size H,W (commands with a dataset take the size from its images)")
            }
            resolved.append(extent)
        }
        self.inputShape = resolved
        // A model exported with a fixed batch runs in chunks of exactly that size.
        fixedBatch = declared[0]
        self.maxBatch = fixedBatch ?? maxBatch
        context = ExecutionContext(threads: threads)
        // Build the batch-1 graph now, so a model that cannot be imported fails here.
        _ = try plan(batch: fixedBatch ?? 1)
    }

    /// The optimized graph for a batch size (for inspection: layers, FLOPs).
    public func graph(batch: Int = 1) throws -> Graph { try plan(batch: batch).graph }

    /// The unoptimized graph as imported (node names as in the ONNX file).
    public func importedGraph(batch: Int = 1) throws -> Graph {
        var g = try importer.graph(inputShapes: [[batch] + inputShape], logits: true)
        if !overrides.isEmpty {
            for v in g.values.indices where g.values[v].constant != nil {
                if let t = overrides[g.values[v].name] { g.values[v].constant = t }
            }
        }
        return g
    }

    /// Per-op wall time of one forward pass at `batch` (seconds by op type and kernel).
    public func profile(_ x: Tensor) throws -> [String: Double] {
        lock.lock(); defer { lock.unlock() }
        let p = try plan(batch: x.shape[0])
        p.profile = [:]
        defer { p.profile = nil }
        try p.execute([x])
        return p.profile ?? [:]
    }

    /// The most elements one tensor of one sample may hold (2²⁸, 1 GiB of floats): a model whose
    /// shapes declare more (a damaged or hostile file, or fixed 10⁶ × 10⁶ inputs) is refused
    /// before any buffer is allocated.
    public static let maxElementsPerSample = 1 << 28

    func plan(batch: Int) throws -> Plan {
        let shape = [batch] + inputShape
        if let p = plans[shape] { return p }
        let imported = try importedGraph(batch: batch)
        for value in imported.values {
            let elements = value.shape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).overflow ? Int.max : $0 * max($1, 0) }
            if elements / max(batch, 1) > ONNXModel.maxElementsPerSample {
                throw ProbityError.badFile(path, "tensor \(value.name) would hold \(value.shape.map(String.init).joined(separator: "×")) values, more than the \(ONNXModel.maxElementsPerSample) per sample Probity allocates (check the model's input size)")
            }
        }
        let graph = Planner.optimize(imported)
        let p = Plan(graph, context: context)
        plans[shape] = p
        return p
    }

    public func logits(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, Array(x.shape.dropFirst()) == inputShape else {
            throw ProbityError.invalidArgument("\(path): expected input [N, \(inputShape.map(String.init).joined(separator: ", "))], got \(x.shape)")
        }
        lock.lock(); defer { lock.unlock() }
        let n = x.shape[0]
        var parts: [Tensor] = []
        for range in Chunking.ranges(n, limit: maxBatch) {
            let count = range.count
            var batch = count == n ? x : x.slice(batch: range)
            var planned = count
            if let fixed = fixedBatch, fixed != count {
                // Pad the last chunk with zeros to the declared batch; the extra rows are dropped.
                batch = Tensor.concatenate(batch: [batch, Tensor(shape: [fixed - count] + inputShape)])
                planned = fixed
            }
            var out = try plan(batch: planned).run([batch])[0]
            out = out.rank == 2 ? out : out.reshaped(to: [planned, -1])
            parts.append(planned == count ? out : out.slice(batch: 0..<count))
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenate(batch: parts)
    }
}
