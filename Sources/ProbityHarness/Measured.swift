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
        try pairs(repetitions: repetitions, countWarmupAfter: countWarmupAfter) { (try body($0), 0) }.0
    }

    /// As `repeated`, for a `body` that times two things back to back — what is measured and
    /// the reference it is divided by — so that a ratio is taken from timings a moment apart,
    /// not minutes apart on a machine whose load changes. The warm-up rule reads the first.
    static func pairs(repetitions: Int, countWarmupAfter: Double = 1, _ body: (Int) throws -> (Double, Double)) rethrows -> (Measured, Measured) {
        var first: [Double] = [], second: [Double] = []
        let warmup = try body(0)
        if warmup.0 > countWarmupAfter { first.append(warmup.0); second.append(warmup.1) }
        while first.count < max(1, repetitions) {
            let (a, b) = try body(first.count)
            first.append(a); second.append(b)
        }
        return (Measured(first), Measured(second))
    }

    /// Element-wise a / b of two measurements of the same repetitions.
    static func ratio(_ a: Measured, _ b: Measured) -> Measured { Measured(zip(a.values, b.values).map { $0 / $1 }) }

    /// Wall seconds of `body` on the monotonic clock.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
