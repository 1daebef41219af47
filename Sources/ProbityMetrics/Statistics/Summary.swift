import Foundation

/// The rows of `summary.csv`: per (metric, variant) and explainer the mean of the ok values
/// with a seeded bootstrap 95 % interval and the rank (1 = best, by mean; ties share a rank); for per-class
/// metrics (the pointing game) also variant `per_class`, the mean over classes of the class
/// means, as TorchRay reports it (and `<variant>/per_class` for each of `perClassVariants`
/// besides the main score, e.g. the pointing game's `difficult`); and per explainer `mean_rank`, the mean over metrics (main
/// variants) of its rank, with a bootstrap interval over samples that re-ranks each resample.
public enum Summary {
    public struct Row: Sendable, Equatable {
        public var explainer, metric, variant: String
        public var mean, low, high: Double
        public var n: Int
        public var rank: Int?
        public var higherIsBetter: Bool
        public init(explainer: String, metric: String, variant: String, mean: Double, low: Double, high: Double, n: Int, rank: Int?, higherIsBetter: Bool) {
            self.explainer = explainer; self.metric = metric; self.variant = variant; self.mean = mean; self.low = low; self.high = high
            self.n = n; self.rank = rank; self.higherIsBetter = higherIsBetter
        }
    }

    public static func rows(_ table: ScoreTable, perClass: Set<String>, perClassVariants: Set<String> = [""], seed: UInt64, meanRank: Bool = true) -> [Row] {
        var out: [Row] = []
        var keys = table.keys
        for k in table.keys where perClass.contains(k.metric) && perClassVariants.contains(k.variant) {
            keys.insert(ScoreTable.Key(metric: k.metric, variant: k.variant.isEmpty ? "per_class" : k.variant + "/per_class"), at: keys.firstIndex(of: k)! + 1)
        }
        for key in keys {
            let classMean = key.variant == "per_class" || key.variant.hasSuffix("/per_class")
            let source = classMean ? ScoreTable.Key(metric: key.metric, variant: key.variant == "per_class" ? "" : String(key.variant.dropLast("/per_class".count))) : key
            var stats: [(String, (mean: Double, low: Double, high: Double), Int)] = []
            for e in table.explainers(source) {
                let bySample = table.values[source]?[e] ?? [:]
                let samples = bySample.keys.sorted()
                let v = samples.map { bySample[$0]! }
                let stream = "\(key.metric)/\(key.variant)/\(e)".replacingOccurrences(of: "//", with: "/")
                if classMean {
                    let labels = samples.map { table.labels[$0] ?? 0 }
                    let statistic = { (picks: [Int]) -> Double in
                        var sums: [Int: (Double, Int)] = [:]
                        for i in picks { sums[labels[i], default: (0, 0)].0 += v[i]; sums[labels[i], default: (0, 0)].1 += 1 }
                        return sums.keys.sorted().reduce(0) { $0 + sums[$1]!.0 / Double(sums[$1]!.1) } / Double(sums.count)   // class order fixed: byte-identical reruns
                    }
                    let m = v.isEmpty ? Double.nan : statistic(Array(v.indices))
                    let ci = v.isEmpty ? (low: Double.nan, high: Double.nan) : Bootstrap.interval(count: v.count, seed: seed, stream: stream, statistic)
                    stats.append((e, (m, ci.low, ci.high), v.count))
                } else {
                    stats.append((e, Bootstrap.mean(v, seed: seed, stream: stream), v.count))
                }
            }
            let higher = table.higherIsBetter[key.metric] ?? true
            // Rank = 1 + the number of explainers with a strictly better mean (ties share a rank).
            let means = stats.map(\.1.mean).filter(\.isFinite)
            for (e, st, n) in stats {
                let rank = st.mean.isFinite ? 1 + means.filter { higher ? $0 > st.mean : $0 < st.mean }.count : nil
                out.append(Row(explainer: e, metric: key.metric, variant: key.variant, mean: st.mean, low: st.low, high: st.high, n: n,
                               rank: rank, higherIsBetter: higher))
            }
        }
        if meanRank { out += meanRanks(table, seed: seed) }
        return out
    }

    /// Mean rank over the metrics' main variants, when there are at least two explainers.
    public static func meanRanks(_ table: ScoreTable, seed: UInt64) -> [Row] {
        let mains = table.keys.filter { $0.variant == "" }
        let explainers = table.explainers
        guard explainers.count > 1, !mains.isEmpty else { return [] }
        let samples = Array(Set(mains.flatMap { k in (table.values[k] ?? [:]).values.flatMap { $0.keys } })).sorted()
        guard !samples.isEmpty else { return [] }
        // Mean rank of each explainer over metrics, for a resample given as indices into `samples`.
        func meanRank(_ picks: [Int]) -> [Double] {
            var total = [Double](repeating: 0, count: explainers.count)
            for k in mains {
                let means = explainers.map { e -> Double in
                    let v = picks.compactMap { table.values[k]?[e]?[samples[$0]] }
                    return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
                }
                // Missing means rank last.
                let d = table.direction(k)
                let ranks = Correlation.ranks(means.map { $0.isFinite ? -d * $0 : .infinity })
                for i in explainers.indices { total[i] += ranks[i] }
            }
            return total.map { $0 / Double(mains.count) }
        }
        let point = meanRank(Array(samples.indices))
        return explainers.indices.map { i in
            let ci = Bootstrap.interval(count: samples.count, seed: seed, stream: "mean_rank/\(explainers[i])") { meanRank($0)[i] }
            return Row(explainer: explainers[i], metric: "mean_rank", variant: "", mean: point[i], low: ci.low, high: ci.high, n: mains.count,
                       rank: 1 + point.filter { $0 < point[i] }.count, higherIsBetter: false)
        }
    }
}
