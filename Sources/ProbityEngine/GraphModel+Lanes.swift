import Foundation
import ProbityCore

/// Samples side by side. Splitting each op of a pass over the threads leaves threads waiting
/// at every op's end and shares each op's memory traffic between them: Integrated Gradients on
/// EfficientNet-Lite0 ran 1.66 × faster on 2 threads than on 1 that way, while two one-thread
/// processes side by side ran 1.86 ×. So a call of at least as many samples as there are
/// lanes divides its samples into that many contiguous parts, and each part runs, chunked as
/// usual, on a one-thread copy of the model (`concurrentCopy`: the same graph and weights,
/// plans of its own) on a thread of its own. Chunks are a lane's share of `maxBatch` and
/// `maxBackwardBatch`, so the activations resident at once are those of one full chunk, as
/// before; the lanes' plans count against this model's `planMemoryBudget` as one entry of its
/// least-recently-used order. A model whose samples are not independent (one that computes
/// a sample by its place in the batch) must set `maxLanes` to 1.
///
/// Every kernel computes a sample the same way in any batch and on any number of threads
/// (`ParityTests`), so results are the same bits either way (`LaneTests`).
extension GraphModel {
    /// One lane per thread, at most this many: each keeps plans of its own.
    public static let defaultMaxLanes = 8

    /// The lanes a call of `n` samples runs on, or nil to split each op over the threads: with
    /// several threads, at least as many samples as lanes, chunk limits that leave each lane at
    /// least one sample, no fixed batch (whose padding each lane would repeat), and `hooks` that
    /// hold samples on their first axis (to be joined). Marks the lanes' plans used and gives
    /// each lane its share of what the budget leaves beside this model's own plans. Call under
    /// the lock.
    func lanes(samples n: Int, hooks: [String] = []) -> [GraphModel]? {
        let count = Swift.min(threads, maxLanes)
        guard count > 1, fixedBatch == nil, n >= count, Swift.min(maxBatch, maxBackwardBatch) >= count,
              batchFirst(hooks) else { return nil }
        if laneModels.count != count {
            laneModels = (0..<count).map { _ in concurrentCopy(threads: Swift.max(1, threads / count)) }
        }
        use(.lanes)
        let budget = Swift.max(0, planMemoryBudget - residentBytes()) / count
        for lane in laneModels {
            lane.maxBatch = maxBatch / count
            lane.maxBackwardBatch = maxBackwardBatch / count
            lane.planMemoryBudget = budget
            lane.maxLanes = 1
        }
        return laneModels
    }

    /// Whether every node output in `hooks` has the batch as its first extent, found by
    /// importing the graph at batch 1 and 2 (once per set of hooks). An unknown name gives
    /// false, and the call then reports it as usual.
    func batchFirst(_ hooks: [String]) -> Bool {
        guard !hooks.isEmpty else { return true }
        let key = hooks.joined(separator: "\u{1F}")
        if let known = hooksBatchFirst[key] { return known }
        var answer = false
        if let one = try? importedGraph(batch: 1), let two = try? importedGraph(batch: 2) {
            answer = hooks.allSatisfy { name in
                guard let a = one.value(named: name), let b = two.value(named: name) else { return false }
                let s1 = one.values[a].shape, s2 = two.values[b].shape
                return s1.first == 1 && s2.first == 2 && s1.dropFirst() == s2.dropFirst()
            }
        }
        hooksBatchFirst[key] = answer
        return answer
    }

    /// `body(lane, part, range)` for the parts of `x` (equal contiguous ranges of its samples,
    /// one a lane), each lane on its own thread; results in sample order. The first lane's
    /// error, if any, is thrown after every lane has finished. Then this model's own least
    /// recently used plans go while the cache holds more than the budget (the lanes may have
    /// grown past their share with the plans they just used). Call under the lock.
    func sideBySide<T>(_ x: Tensor, on lanes: [GraphModel],
                       _ body: (_ lane: GraphModel, _ part: Tensor, _ range: Range<Int>) throws -> T) throws -> [T] {
        defer { makeRoom(0, keeping: .lanes) }
        let ranges = Chunking.ranges(x.shape[0], count: lanes.count)
        return try ExecutionContext.sideBySide(lanes.count) { k in
            Result { try body(lanes[k], x.slice(batch: ranges[k]), ranges[k]) }
        }.map { try $0.get() }
    }

    /// Parts stacked along the batch.
    static func join(_ parts: [Tensor]) -> Tensor { parts.count == 1 ? parts[0] : Tensor.concatenate(batch: parts) }

    /// Hooked tensors of parts stacked along the batch, by name.
    static func join(_ parts: [[String: Tensor]]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: (parts.first ?? [:]).keys.map { name in (name, join(parts.map { $0[name]! })) })
    }
}

extension ExecutionContext {
    /// `body(j)` for j in 0..<count, each on a thread of its own when there are several
    /// (`split` with one item a thread); results in order.
    public static func sideBySide<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<count).map(body) }
        let results = LockedResults<T>(count: count)
        split(count, threads: count) { items, _ in
            for j in items { results.set(j, body(j)) }
        }
        return results.values.map { $0! }
    }
}

/// One result per index, set from concurrent threads (each index once).
final class LockedResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [T?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: T) { lock.lock(); values[index] = value; lock.unlock() }
}
