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

    /// The index ranges of `sizes(n, limit:)`, in order.
    public static func ranges(_ n: Int, limit: Int) -> [Range<Int>] {
        var start = 0
        return sizes(n, limit: limit).map { size in
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
        let shape = inputShape
        let size = shape.reduce(1, *)
        if let start { precondition(start.count == size, "evaluate: start has shape \(start.shape), expected [1] + \(shape)") }
        var buffers: [Int: Tensor] = [:]
        for range in Chunking.ranges(count, limit: maxBatch) {
            var batch = buffers.removeValue(forKey: range.count) ?? Tensor(shape: [range.count] + shape)
            try batch.storage.withUnsafeMutableBufferPointer { all in
                for (j, i) in range.enumerated() {
                    let slot = UnsafeMutableBufferPointer(rebasing: all[(j * size)..<((j + 1) * size)])
                    if let start { start.storage.withUnsafeBufferPointer { _ = slot.update(fromContentsOf: $0) } }
                    try fill(i, slot)
                }
            }
            let logits = try self.logits(batch)
            buffers[range.count] = batch
            try consume(range.lowerBound, logits)
        }
    }
}
