import Foundation

/// The paired Wilcoxon signed-rank test (Wilcoxon 1945), two-sided, as SciPy's `wilcoxon`
/// with its defaults: zero differences dropped ("wilcox"), no continuity correction; the exact
/// null distribution when at most 50 pairs remain with no ties, otherwise the normal
/// approximation with the tie correction. The statistic is min(W⁺, W⁻).
public enum Wilcoxon {
    public struct Result: Sendable, Equatable { public var statistic: Double; public var p: Double; public var n: Int; public var exact: Bool }

    public static func test(_ a: [Double], _ b: [Double]) -> Result {
        precondition(a.count == b.count, "wilcoxon: samples must be paired")
        let d = zip(a, b).map { $0 - $1 }.filter { $0 != 0 }
        let n = d.count
        guard n > 0 else { return Result(statistic: 0, p: 1, n: 0, exact: true) }
        let ranks = Correlation.ranks(d.map(abs))
        var plus = 0.0, minus = 0.0
        for (r, v) in zip(ranks, d) { if v > 0 { plus += r } else { minus += r } }
        let statistic = min(plus, minus)
        let tied = Set(d.map(abs)).count < n
        if n <= 50 && !tied {
            // Number of sign assignments giving each W⁺ = 0 … n(n+1)/2.
            let top = n * (n + 1) / 2
            var counts = [Double](repeating: 0, count: top + 1)
            counts[0] = 1
            for k in 1...n { for s in stride(from: top, through: k, by: -1) { counts[s] += counts[s - k] } }
            let total = pow(2.0, Double(n))
            let below = counts[0...Int(statistic)].reduce(0, +) / total
            return Result(statistic: statistic, p: min(1, 2 * below), n: n, exact: true)
        }
        let mean = Double(n * (n + 1)) / 4
        var variance = Double(n * (n + 1) * (2 * n + 1)) / 24
        var groups: [Double: Int] = [:]
        for r in ranks { groups[r, default: 0] += 1 }
        for t in groups.values where t > 1 { variance -= Double(t * t * t - t) / 48 }
        let z = (statistic - mean) / variance.squareRoot()
        return Result(statistic: statistic, p: min(1, erfc(abs(z) / 2.0.squareRoot())), n: n, exact: false)
    }
}

/// Holm's step-down correction of p-values for multiple comparisons (Holm 1979): the k-th
/// smallest of m p-values is multiplied by m − k + 1, made monotone, and capped at 1.
public enum Holm {
    public static func adjust(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (k, i) in order.enumerated() {
            running = max(running, min(1, Double(m - k) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }
}
