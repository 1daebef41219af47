import Foundation

/// The rows of `reliability.csv`, the metric reliability measures of Tomsett et al. 2020
/// ("Sanity checks for saliency metrics"):
/// - `inter_rater`: per (metric, variant), Krippendorff's α (ordinal) with samples as raters
///   and explainers as units, each sample rating the explainers by their rank in it. Near 0,
///   samples disagree on which method is better: the metric cannot tell the methods apart.
/// - `inter_method`: per pair of metrics (main variants), the mean over samples of the Spearman
///   correlation between the two metrics' rankings of the explainers (both oriented best
///   first); needs three explainers or more. Low values mean the metrics measure different
///   things.
public enum Reliability {
    public struct Row: Sendable, Equatable {
        public var kind, metric, variant, otherMetric, otherVariant: String
        public var value: Double
        public var n: Int
    }

    public static func rows(_ table: ScoreTable) -> [Row] {
        var out: [Row] = []
        for key in table.keys {
            let explainers = table.explainers(key)
            guard explainers.count > 1 else { continue }
            let samples = Array(Set(explainers.flatMap { (table.values[key]?[$0] ?? [:]).keys })).sorted()
            let ratings: [[Double?]] = samples.map { s in
                let present = explainers.indices.filter { table.values[key]?[explainers[$0]]?[s] != nil }
                let ranks = table.ranks(key, present.map { table.values[key]![explainers[$0]]![s]! })
                var row = [Double?](repeating: nil, count: explainers.count)
                for (k, i) in present.enumerated() { row[i] = ranks[k] }
                return row
            }
            out.append(Row(kind: "inter_rater", metric: key.metric, variant: key.variant, otherMetric: "", otherVariant: "",
                           value: Krippendorff.alpha(ratings, level: .ordinal), n: samples.count))
        }
        let mains = table.keys.filter { $0.variant == "" }
        for i in mains.indices {
            for j in (i + 1)..<mains.count {
                let (a, b) = (mains[i], mains[j])
                let explainers = Array(Set(table.explainers(a)).intersection(table.explainers(b))).sorted()
                guard explainers.count > 2 else { continue }
                let samples = Set(table.common(a, explainers)).intersection(table.common(b, explainers)).sorted()
                let rhos = samples.compactMap { s -> Double? in
                    let ra = table.ranks(a, explainers.map { table.values[a]![$0]![s]! })
                    let rb = table.ranks(b, explainers.map { table.values[b]![$0]![s]! })
                    let r = Correlation.pearson(ra, rb)
                    return r.isFinite ? r : nil
                }
                out.append(Row(kind: "inter_method", metric: a.metric, variant: "", otherMetric: b.metric, otherVariant: "",
                               value: rhos.isEmpty ? .nan : rhos.reduce(0, +) / Double(rhos.count), n: rhos.count))
            }
        }
        return out
    }
}
