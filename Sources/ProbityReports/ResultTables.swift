import Foundation
import ProbityMetrics

/// The result tables of a run as DESIGN.md fixes them, each a pure function from rows to CSV
/// text: `per_sample.csv`, `summary.csv`, `pairwise.csv`, `reliability.csv`. The harness
/// decides where they go; nothing here reads or computes scores.
public enum ResultTables {
    public static let perSampleHeader = ["explainer", "metric", "variant", "sample", "label", "value", "status"]
    public static let summaryHeader = ["explainer", "metric", "variant", "mean", "ci_low", "ci_high", "n", "rank", "higher_is_better"]
    public static let pairwiseHeader = ["metric", "variant", "explainer_a", "explainer_b", "n", "mean_difference", "statistic", "p_value", "p_holm", "better"]
    public static let reliabilityHeader = ["kind", "metric", "variant", "other_metric", "other_variant", "value", "n"]

    public static func perSample(_ rows: [ScoreRow]) -> String {
        CSV.text(header: perSampleHeader, rows: rows.map {
            [$0.explainer, $0.metric, $0.variant, String($0.sample), String($0.label), CSV.number(Double($0.value)), $0.status]
        })
    }

    /// The fields of one `summary.csv` line.
    public static func summaryFields(_ r: Summary.Row) -> [String] {
        [r.explainer, r.metric, r.variant, CSV.number(r.mean), CSV.number(r.low), CSV.number(r.high), String(r.n),
         r.rank.map(String.init) ?? "", String(r.higherIsBetter)]
    }

    public static func summary(_ rows: [Summary.Row]) -> String {
        CSV.text(header: summaryHeader, rows: rows.map(summaryFields))
    }

    public static func pairwise(_ rows: [Pairwise.Row]) -> String {
        CSV.text(header: pairwiseHeader, rows: rows.map {
            [$0.metric, $0.variant, $0.a, $0.b, String($0.n), CSV.number($0.meanDifference), CSV.number($0.statistic),
             CSV.number($0.p), CSV.number($0.pHolm), $0.better]
        })
    }

    public static func reliability(_ rows: [Reliability.Row]) -> String {
        CSV.text(header: reliabilityHeader, rows: rows.map {
            [$0.kind, $0.metric, $0.variant, $0.otherMetric, $0.otherVariant, CSV.number($0.value), String($0.n)]
        })
    }
}
