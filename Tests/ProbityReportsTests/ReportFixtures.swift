import Foundation
import ProbityMetrics
@testable import ProbityReports

/// Hand-made report inputs for the tests: a clean run where the methods clearly beat the
/// controls, and helpers to craft rows that should raise each warning.
enum ReportFixtures {
    static func row(_ e: String, _ m: String, _ mean: Double, _ low: Double, _ high: Double, rank: Int?, higher: Bool = true, variant: String = "", n: Int = 20) -> SummaryRow {
        SummaryRow(explainer: e, metric: m, variant: variant, mean: mean, low: low, high: high, n: n, rank: rank, higherIsBetter: higher)
    }

    /// Two methods well ahead of the three controls on two metrics, a reliable metric, every
    /// sample ok, a sanity check passed, curves that fall.
    static func clean() -> ReportInput {
        let ig = "integrated_gradients@baseline=black,method=gausslegendre,steps=50", gc = "gradcam@layer=auto"
        let controls = ["random", "sobel", "center_gaussian@sigma=0.25"]
        var summary: [SummaryRow] = []
        summary += [row(ig, "insertion", 0.9, 0.88, 0.92, rank: 1), row(gc, "insertion", 0.8, 0.78, 0.82, rank: 2)]
        summary += controls.enumerated().map { i, c in row(c, "insertion", 0.5 - 0.05 * Double(i), 0.48 - 0.05 * Double(i), 0.52 - 0.05 * Double(i), rank: 3 + i) }
        summary += [row(ig, "deletion", 0.1, 0.08, 0.12, rank: 1, higher: false), row(gc, "deletion", 0.2, 0.18, 0.22, rank: 2, higher: false)]
        summary += controls.enumerated().map { i, c in row(c, "deletion", 0.5 + 0.05 * Double(i), 0.48 + 0.05 * Double(i), 0.52 + 0.05 * Double(i), rank: 3 + i, higher: false) }
        summary += [row(ig, "model_randomization", 0.1, 0.05, 0.15, rank: 1, higher: false), row(gc, "model_randomization", 0.2, 0.15, 0.25, rank: 2, higher: false)]
        summary += controls.map { row($0, "model_randomization", 1, 1, 1, rank: 3, higher: false) }
        for layer in ["logits", "block2.conv", "block1.conv"] {
            summary += [row(ig, "model_randomization", 0.5, 0.4, 0.6, rank: 1, higher: false, variant: "\(layer)/spearman"),
                        row(gc, "model_randomization", 0.6, 0.5, 0.7, rank: 2, higher: false, variant: "\(layer)/spearman")]
            summary += controls.map { row($0, "model_randomization", 1, 1, 1, rank: 3, higher: false, variant: "\(layer)/spearman") }
        }
        let all = [ig, gc] + controls
        summary += all.enumerated().map { i, e in row(e, ReportInput.meanRankMetric, Double(i + 1), Double(i + 1) - 0.2, Double(i + 1) + 0.2, rank: i + 1, higher: false) }
        let reliability = ["insertion", "deletion", "model_randomization"].map {
            ReliabilityRow(kind: "inter_rater", metric: $0, variant: "", otherMetric: "", otherVariant: "", value: 0.8, n: 20)
        }
        var perSample: [ScoreRow] = []
        for e in all { for m in ["insertion", "deletion", "model_randomization"] { for s in 0..<20 { perSample.append(ScoreRow(explainer: e, metric: m, variant: "", sample: s, label: s % 2, value: 0.5, status: "ok")) } } }
        let falling = ReportInput.Curves(samples: [0, 1], rows: [[1, 0.5, 0.1], [0.9, 0.4, 0.0]])
        let curves = ["deletion": Dictionary(uniqueKeysWithValues: all.map { ($0, falling) })]
        return ReportInput(summary: summary, reliability: reliability, perSample: perSample, curves: curves)
    }
}
