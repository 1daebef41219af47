import Dispatch
import Foundation
import ProbityCore

/// Threads for kernels. Probity runs OpenBLAS single-threaded and parallelizes itself, over
/// samples of a batch or over output channels, so BLAS threads never stack on top of
/// Probity's threads (no 2 × 2 oversubscription on 2 cores).
public final class ExecutionContext: @unchecked Sendable {
    /// Number of threads kernels may use.
    public let threads: Int
    /// Per-thread scratch memory (im2col buffers), grown on demand.
    private var scratch: [UnsafeMutablePointer<Float>?]

    private var scratchSize: [Int]

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = Swift.max(1, threads)
        scratch = .init(repeating: nil, count: self.threads)
        scratchSize = .init(repeating: 0, count: self.threads)
        BLAS.threads = 1
    }

    deinit { for p in scratch { p?.deallocate() } }

    /// Scratch memory for thread `index`, at least `count` floats. Valid until the next call
    /// with the same index.
    public func scratch(_ index: Int, count: Int) -> UnsafeMutablePointer<Float> {
        if scratchSize[index] < count {
            scratch[index]?.deallocate()
            scratch[index] = .allocate(capacity: count)
            scratchSize[index] = count
        }
        return scratch[index]!
    }

    /// Sets `count` floats from `p` to zero, split over the threads when there are many (a
    /// backward pass clears every gradient buffer of its batch before the first write).
    public func zero(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let parts = count >= 1 << 16 ? threads : 1
        parallel(parts) { t, _ in
            let lo = count * t / parts, hi = count * (t + 1) / parts
            (p + lo).update(repeating: 0, count: hi - lo)
        }
    }

    /// Runs `body(item, thread)` for items 0..<count on up to `threads` threads; items are
    /// split into contiguous runs, one per thread, so `thread` indexes per-thread scratch.
    public func parallel(_ count: Int, _ body: (Int, Int) -> Void) {
        ExecutionContext.split(count, threads: threads) { items, thread in
            for i in items { body(i, thread) }
        }
    }

    /// Runs `body(run, thread)` for `threads` contiguous runs that cover 0..<count (fewer when
    /// count is smaller), each on its own thread (`DispatchQueue.concurrentPerform`), or once on
    /// the calling thread when one run suffices. `body` runs only during the call; callers write
    /// disjoint places from different runs. For work outside a model's kernels (explainers
    /// building inputs, summing per pixel, batches side by side) as well as inside them.
    public static func split(_ count: Int, threads: Int, _ body: (Range<Int>, Int) -> Void) {
        let workers = Swift.max(1, Swift.min(threads, count))
        if workers == 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                work((count * t / workers)..<(count * (t + 1) / workers), t)
            }
        }
    }
}
