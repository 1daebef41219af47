import Foundation

/// Krippendorff's α (Krippendorff 2004, "Content Analysis", ch. 11), the inter-rater
/// reliability Tomsett et al. 2020 ("Sanity checks for saliency metrics") use for metrics:
/// α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck over the coincidence matrix of the pairable
/// values (units with at least two ratings). Interval: δ² = (c − k)²; ordinal:
/// δ²_ck = (Σ_{g between c and k} n_g − (n_c + n_k)/2)². As the `krippendorff` package computes it.
public enum Krippendorff {
    public enum Level: String, Sendable { case interval, ordinal }

    /// `ratings[rater][unit]`, nil where a rater gave no value.
    public static func alpha(_ ratings: [[Double?]], level: Level) -> Double {
        let units = ratings.first?.count ?? 0
        let domain = Array(Set(ratings.flatMap { $0.compactMap { $0 } })).sorted()
        let index = Dictionary(uniqueKeysWithValues: domain.enumerated().map { ($1, $0) })
        let v = domain.count
        guard v > 1 else { return .nan }
        var o = [Double](repeating: 0, count: v * v)
        for u in 0..<units {
            let values = ratings.compactMap { $0[u] }
            let m = values.count
            guard m > 1 else { continue }
            for i in 0..<m { for j in 0..<m where i != j { o[index[values[i]]! * v + index[values[j]]!] += 1 / Double(m - 1) } }
        }
        let nc = (0..<v).map { c in (0..<v).reduce(0.0) { $0 + o[c * v + $1] } }
        let n = nc.reduce(0, +)
        func delta2(_ c: Int, _ k: Int) -> Double {
            switch level {
            case .interval: return (domain[c] - domain[k]) * (domain[c] - domain[k])
            case .ordinal:
                let (lo, hi) = (min(c, k), max(c, k))
                let s = nc[lo...hi].reduce(0, +) - (nc[c] + nc[k]) / 2
                return s * s
            }
        }
        var observed = 0.0, expected = 0.0
        for c in 0..<v {
            for k in 0..<v {
                let d = delta2(c, k)
                observed += o[c * v + k] * d
                expected += nc[c] * nc[k] * d
            }
        }
        guard expected > 0 else { return .nan }
        return 1 - (n - 1) * observed / expected
    }
}
