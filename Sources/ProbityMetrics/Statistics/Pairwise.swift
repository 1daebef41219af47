import Foundation

/// The rows of `pairwise.csv`: for each (metric, variant), every pair of explainers compared
/// by the paired Wilcoxon signed-rank test over the samples both scored ok, p-values Holm
/// corrected within the (metric, variant); `better` names the better explainer when the
/// corrected p is below 0.05.
public enum Pairwise {
    public struct Row: Sendable, Equatable {
        public var metric, variant, a, b: String
        public var n: Int
        public var meanDifference, statistic, p, pHolm: Double
        public var better: String
    }

    public static func rows(_ table: ScoreTable, alpha: Double = 0.05) -> [Row] {
        var out: [Row] = []
        for key in table.keys {
            let explainers = table.explainers(key)
            var group: [Row] = []
            for i in explainers.indices {
                for j in (i + 1)..<explainers.count {
                    let (a, b) = (explainers[i], explainers[j])
                    let samples = table.common(key, [a, b])
                    let va = samples.map { table.values[key]![a]![$0]! }, vb = samples.map { table.values[key]![b]![$0]! }
                    let test = samples.isEmpty ? Wilcoxon.Result(statistic: .nan, p: .nan, n: 0, method: .exact) : Wilcoxon.test(va, vb)
                    let diff = samples.isEmpty ? Double.nan : zip(va, vb).reduce(0) { $0 + $1.0 - $1.1 } / Double(samples.count)
                    group.append(Row(metric: key.metric, variant: key.variant, a: a, b: b, n: samples.count, meanDifference: diff,
                                     statistic: test.statistic, p: test.p, pHolm: .nan, better: ""))
                }
            }
            let tested = group.indices.filter { group[$0].p.isFinite }
            let adjusted = Holm.adjust(tested.map { group[$0].p })
            for (t, i) in tested.enumerated() {
                group[i].pHolm = adjusted[t]
                if adjusted[t] < alpha && group[i].meanDifference != 0 {
                    group[i].better = (group[i].meanDifference > 0) == (table.direction(key) > 0) ? group[i].a : group[i].b
                }
            }
            out += group
        }
        return out
    }
}
