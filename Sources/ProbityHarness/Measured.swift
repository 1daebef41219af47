import Dispatch

/// A figure measured several times in one run: the median, and the smallest and largest
/// value as its spread. The machine is shared and noisy, so a single timing says little; the
/// median of several, next to how far they spread, says what a run saw.
public struct Measured: Sendable, Equatable {
    public var values: [Double]

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Measured needs at least one value")
        self.values = values
    }

    public var median: Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    public var low: Double { values.min()! }
    public var high: Double { values.max()! }
    /// (largest − smallest) / median.
    public var spread: Double { median == 0 ? 0 : (high - low) / median }

    /// `f` of every value (a rate from times: `measured.map { work / $0 }`).
    public func map(_ f: (Double) -> Double) -> Measured { Measured(values.map(f)) }

    /// Seconds of `repetitions` runs of `body(r)` (r = 0, 1, …) after one warm-up run (plans
    /// and buffers are built there). A warm-up that took more than `countWarmupAfter` seconds
    /// counts as the first repetition: at that length building plans is lost in the noise,
    /// and the bench stays short.
    static func seconds(repetitions: Int, countWarmupAfter: Double = 1, _ body: (Int) throws -> Void) rethrows -> Measured {
        try repeated(repetitions: repetitions, countWarmupAfter: countWarmupAfter) { r in try time { try body(r) } }
    }

    /// As `seconds`, for a `body` that times the part that counts itself and returns its seconds.
    static func repeated(repetitions: Int, countWarmupAfter: Double = 1, _ body: (Int) throws -> Double) rethrows -> Measured {
        var times: [Double] = []
        let warmup = try body(0)
        if warmup > countWarmupAfter { times.append(warmup) }
        while times.count < max(1, repetitions) { times.append(try body(times.count)) }
        return Measured(times)
    }

    /// Wall seconds of `body` on the monotonic clock.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
