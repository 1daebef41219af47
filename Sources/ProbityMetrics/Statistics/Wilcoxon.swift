import Foundation

/// The paired Wilcoxon signed-rank test (Wilcoxon 1945), two-sided, as SciPy 1.17's `wilcoxon`
/// with its defaults (`zero_method="wilcox"`, `correction=False`, `method="auto"`; source
/// `scipy/stats/_wilcoxon.py`). Zero differences are left out of the ranks and of n, and the
/// statistic is min(W⁺, W⁻). Which null distribution gives p depends on N, the number of pairs
/// *counting the zeros*, exactly as SciPy decides:
/// - N > 50: the normal approximation with the tie correction;
/// - N ≤ 50, no ties and no zeros: the exact distribution of W⁺ (`exact`);
/// - N ≤ 13 with ties or zeros: SciPy's `permutation_test` over the 2^N sign flips, which is
///   exhaustive (2^13 < 9999 resamples) and so deterministic; computed here by counting the
///   subset sums of the (average) ranks, p = 2·min(P(W⁺ ≤ w), P(W⁺ ≥ w)) capped at 1
///   (`permutation`);
/// - 13 < N ≤ 50 with ties or zeros: the normal approximation (`normal`).
/// One deviation: when every difference is zero SciPy returns p = NaN for N > 13 (and 1 for
/// N ≤ 13); Probity returns p = 1 (no evidence either way) so Holm's correction stays defined.
public enum Wilcoxon {
    public enum Method: String, Sendable, Equatable { case exact, permutation, normal }
    public struct Result: Sendable, Equatable {
        public var statistic: Double; public var p: Double; public var n: Int; public var method: Method
        public init(statistic: Double, p: Double, n: Int, method: Method) { self.statistic = statistic; self.p = p; self.n = n; self.method = method }
        /// Whether p comes from an exact null distribution (the exact or the exhaustive permutation one).
        public var exact: Bool { method != .normal }
    }

    public static func test(_ a: [Double], _ b: [Double]) -> Result {
        precondition(a.count == b.count, "wilcoxon: samples must be paired")
        let all = zip(a, b).map { $0 - $1 }
        let pairs = all.count
        let zeros = all.filter { $0 == 0 }.count
        let d = all.filter { $0 != 0 }
        let n = d.count
        guard n > 0 else { return Result(statistic: 0, p: 1, n: 0, method: pairs <= 13 ? .permutation : .normal) }
        let ranks = Correlation.ranks(d.map(abs))
        var plus = 0.0, minus = 0.0
        for (r, v) in zip(ranks, d) { if v > 0 { plus += r } else { minus += r } }
        let statistic = min(plus, minus)
        let tied = Set(d.map(abs)).count < n
        if pairs <= 50 && !tied && zeros == 0 {
            return Result(statistic: statistic, p: min(1, 2 * lowerTail(ranks: ranks, at: statistic)), n: n, method: .exact)
        }
        if pairs <= 13 {
            return Result(statistic: statistic, p: min(1, 2 * lowerTail(ranks: ranks, at: statistic)), n: n, method: .permutation)
        }
        let mean = Double(n * (n + 1)) / 4
        var variance = Double(n * (n + 1) * (2 * n + 1)) / 24
        var groups: [Double: Int] = [:]
        for r in ranks { groups[r, default: 0] += 1 }
        for t in groups.values where t > 1 { variance -= Double(t * t * t - t) / 48 }
        let z = (statistic - mean) / variance.squareRoot()
        return Result(statistic: statistic, p: min(1, erfc(abs(z) / 2.0.squareRoot())), n: n, method: .normal)
    }

    /// P(W⁺ ≤ w) under random signs: the share of the 2ⁿ subsets of `ranks` whose sum is at most
    /// w. Ranks are whole or halves, so sums are counted on doubled ranks (O(n³) work). By the
    /// symmetry of W⁺ about n(n+1)/4, with w = min(W⁺, W⁻) this is also min(P(W⁺ ≤ W⁺obs), P(W⁺ ≥ W⁺obs)).
    static func lowerTail(ranks: [Double], at w: Double) -> Double {
        let doubled = ranks.map { Int(($0 * 2).rounded()) }
        let top = doubled.reduce(0, +)
        var counts = [Double](repeating: 0, count: top + 1)
        counts[0] = 1
        for k in doubled { for s in stride(from: top, through: k, by: -1) { counts[s] += counts[s - k] } }
        let limit = Int((w * 2).rounded())
        return counts[0...limit].reduce(0, +) / pow(2.0, Double(ranks.count))
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
