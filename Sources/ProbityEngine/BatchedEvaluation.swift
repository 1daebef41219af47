import Dispatch
import ProbityCore

/// The one chunking policy for batched model evaluations: `n` inputs run as ⌈n / limit⌉
/// chunks whose sizes differ by at most one, larger ones first. 225 deletion frames at a limit
/// of 32 run as 29 + 7 × 28, not 7 × 32 + 1: no chunk is a nearly empty batch (a batch of one
/// runs at a fraction of the batch-32 rate), and a run of evaluations uses at most two batch
/// sizes, so the model's plans (one per input shape) are built once and reused.
public enum Chunking {
    /// Chunk sizes for `n` inputs, each at most `limit`; empty for n = 0.
    public static func sizes(_ n: Int, limit: Int) -> [Int] {
        guard n > 0 else { return [] }
        let limit = Swift.max(1, limit)
        let chunks = (n + limit - 1) / limit
        let small = n / chunks, larger = n % chunks
        return (0..<chunks).map { $0 < larger ? small + 1 : small }
    }

    /// `n` inputs in `count` parts (fewer when n is smaller) that differ by at most one, larger first.
    public static func sizes(_ n: Int, count: Int) -> [Int] {
        guard n > 0 else { return [] }
        let parts = Swift.max(1, Swift.min(count, n))
        return (0..<parts).map { $0 < n % parts ? n / parts + 1 : n / parts }
    }

    /// Chunk sizes for `n` inputs that all run padded to the first (largest) size, as backward
    /// passes do (their plans keep every activation, so one plan size is worth a padded row),
    /// on `threads` threads that each take whole samples: `sizes(n, limit:)`, or one chunk more
    /// when that takes fewer sample-steps per thread (chunks × ⌈padded size / threads⌉). 50
    /// samples at a limit of 16 run as 5 × 10, not 4 × 13: two padded rows fewer, and on two
    /// threads no chunk runs 7 samples on one thread and 6 on the other.
    public static func paddedSizes(_ n: Int, limit: Int, threads: Int) -> [Int] {
        let fewest = sizes(n, limit: limit)
        guard fewest.count < n else { return fewest }
        let more = sizes(n, limit: (n + fewest.count) / (fewest.count + 1))
        func steps(_ s: [Int]) -> Int { s.count * ((s[0] + Swift.max(1, threads) - 1) / Swift.max(1, threads)) }
        return steps(more) < steps(fewest) ? more : fewest
    }

    /// The index ranges of `sizes(n, limit:)`, in order.
    public static func ranges(_ n: Int, limit: Int) -> [Range<Int>] { ranges(of: sizes(n, limit: limit)) }

    /// The index ranges of `sizes(n, count:)`, in order.
    public static func ranges(_ n: Int, count: Int) -> [Range<Int>] { ranges(of: sizes(n, count: count)) }

    /// Consecutive ranges from 0 with the lengths `sizes`.
    static func ranges(of sizes: [Int]) -> [Range<Int>] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return start..<(start + size)
        }
    }
}

extension Model {
    /// Scores `count` inputs that the caller builds one at a time — the batched evaluation that
    /// occlusion, RISE, Score-CAM, LIME, KernelSHAP and the perturbation metrics share.
    ///
    /// Inputs are built into one reused batch buffer and run through the model in the chunks of
    /// `Chunking` (at most `maxBatch` each), so `count` may be far larger than what fits in
    /// memory at once. `fill(i, input)` writes input `i` ([C, H, W], `inputShape`) and is called
    /// for i = 0, 1, … in order, so it may draw from a random stream or advance state from one
    /// input to the next. Each input starts as a copy of `start` ([1, C, H, W]) when one is
    /// given; otherwise its contents are unspecified and `fill` must write all of it.
    /// `consume(first, logits)` gets the logits [k, classes] of inputs first..<first + k, in
    /// order, after each chunk.
    ///
    /// A sample's logits do not depend on the batch it runs in (`ParityTests`), so results are
    /// the same for any chunking.
    public func evaluate(count: Int, start: Tensor? = nil,
                         fill: (_ index: Int, _ input: UnsafeMutableBufferPointer<Float>) throws -> Void,
                         consume: (_ first: Int, _ logits: Tensor) throws -> Void) throws {
        try evaluateChunks(count: count, start: start, fill: { range, slot in
            for i in range { try fill(i, slot(i)) }
        }, consume: consume)
    }

    /// As `evaluate(count:start:fill:consume:)`, for inputs whose building costs more than the
    /// random draws behind them (RISE upsamples a mask per input): `draw(i)` runs for
    /// i = 0, 1, … in order (a random stream, state carried from input to input) and returns
    /// what input `i` is made from; `build(drawn, i, input)` then writes input `i` from it, on
    /// up to `threads` inputs of a chunk at once. The inputs, and so the results, are those of
    /// a serial loop, whatever the thread count. `build` must write only input `i` and state
    /// of its own (a slot indexed by `i`).
    public func evaluate<Drawn>(count: Int, start: Tensor? = nil, threads: Int,
                                draw: (_ index: Int) throws -> Drawn,
                                build: (_ drawn: Drawn, _ index: Int, _ input: UnsafeMutableBufferPointer<Float>) -> Void,
                                consume: (_ first: Int, _ logits: Tensor) throws -> Void) throws {
        try evaluateChunks(count: count, start: start, fill: { range, slot in
            let drawn = try range.map(draw)
            let first = range.lowerBound
            // Each item writes its own input slot.
            ExecutionContext.split(range.count, threads: threads) { items, _ in
                for j in items { build(drawn[j], first + j, slot(first + j)) }
            }
        }, consume: consume)
    }

    /// The chunk loop both `evaluate`s share: `fill(range, slot)` writes the inputs of `range`,
    /// `slot(i)` being input i's place in the reused batch buffer (already a copy of `start`).
    private func evaluateChunks(count: Int, start: Tensor?,
                                fill: (_ range: Range<Int>, _ slot: (Int) -> UnsafeMutableBufferPointer<Float>) throws -> Void,
                                consume: (_ first: Int, _ logits: Tensor) throws -> Void) throws {
        let shape = inputShape
        let size = shape.reduce(1, *)
        if let start { precondition(start.count == size, "evaluate: start has shape \(start.shape), expected [1] + \(shape)") }
        var buffers: [Int: Tensor] = [:]
        for range in Chunking.ranges(count, limit: maxBatch) {
            var batch = buffers.removeValue(forKey: range.count) ?? Tensor(shape: [range.count] + shape)
            try batch.storage.withUnsafeMutableBufferPointer { all in
                let base = all.baseAddress!
                let slot = { (i: Int) in UnsafeMutableBufferPointer(start: base + (i - range.lowerBound) * size, count: size) }
                if let start {
                    start.storage.withUnsafeBufferPointer { s in for i in range { _ = slot(i).update(fromContentsOf: s) } }
                }
                try fill(range, slot)
            }
            let logits = try self.logits(batch)
            buffers[range.count] = batch
            try consume(range.lowerBound, logits)
        }
    }
}
