import ProbityCore

/// Seeded percentile bootstrap (Efron 1979): 1000 resamples with replacement, 95 % interval
/// from the 25th and 975th sorted resample statistics. The stream name keeps intervals of
/// different rows independent and reproducible.
public enum Bootstrap {
    public static let resamples = 1000

    /// Mean and interval of `values`.
    public static func mean(_ values: [Double], seed: UInt64, stream: String) -> (mean: Double, low: Double, high: Double) {
        guard !values.isEmpty else { return (.nan, .nan, .nan) }
        let m = values.reduce(0, +) / Double(values.count)
        let (low, high) = interval(count: values.count, seed: seed, stream: stream) { picks in picks.reduce(0) { $0 + values[$1] } / Double(picks.count) }
        return (m, low, high)
    }

    /// Interval of any statistic of a resample (given as indices into 0..<count).
    public static func interval(count: Int, seed: UInt64, stream: String, _ statistic: ([Int]) -> Double) -> (low: Double, high: Double) {
        guard count > 0 else { return (.nan, .nan) }
        var rng = RNG(seed: seed, stream: ["bootstrap", .name(stream)])
        var stats: [Double] = []
        stats.reserveCapacity(resamples)
        var picks = [Int](repeating: 0, count: count)
        for _ in 0..<resamples {
            for i in 0..<count { picks[i] = rng.int(below: count) }
            stats.append(statistic(picks))
        }
        stats.sort()
        return (stats[24], stats[974])
    }
}
