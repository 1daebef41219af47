import Foundation
import ProbityMetrics

/// The report's opening answer to "which explainer is best here, and how sure are we": the
/// explainers ranked by mean rank over the metrics with their bootstrap intervals, a one-line
/// headline, and the warnings a careful reviewer would raise, each computed from the rows:
///
/// - `controlTies`: on a metric, a control (`random`, `sobel`, `center_gaussian`) has a better
///   mean than a method or their 95 % intervals overlap — the metric does not show the method
///   doing better than a baseline that knows nothing about the model.
/// - `saturated`: the `random` control's mean lies inside the best method's interval, or the
///   mean perturbation curve over all explainers changes by less than `flatCurve` from its
///   first to its last point (perturbing every pixel barely moves the score).
/// - `indistinct`: Krippendorff's α of a metric below `minimumAlpha` — samples disagree on the
///   order of the methods (Tomsett et al. 2020), so its ranking is close to noise.
/// - `missingScores`: an explainer has samples whose status is not `ok` on a metric, so its
///   mean is over fewer samples than the others'.
/// - `sanityFailed`: a method's main score on a randomization check (model or data
///   randomization, random logit) is above `maximumSimilarity`: its maps barely change when
///   what the model learned is destroyed (Adebayo et al. 2018). Controls do not depend on the
///   model and score 1 by construction; they are not reported.
public struct Verdict: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case controlTies, saturated, indistinct, missingScores, sanityFailed }
    public struct Warning: Sendable, Equatable {
        public var kind: Kind
        public var metric: String
        /// The explainers concerned (ids), empty when the warning is about the metric alone.
        public var explainers: [String]
        /// One plain-text sentence; writers escape it.
        public var message: String
    }

    /// A heading and one sentence on why each kind matters, for the writers.
    public static func explanation(_ kind: Kind) -> (title: String, why: String) {
        switch kind {
        case .sanityFailed: return ("Failed sanity checks", "These maps barely change when what the model learned is destroyed, so they do not explain the model (Adebayo et al. 2018).")
        case .controlTies: return ("Controls tie or beat methods", "A control ignores the model; where its 95 % interval overlaps a method's, or its mean is better, the metric does not show that method doing better than a baseline.")
        case .saturated: return ("Saturated metrics", "The metric gives no room between a random map and the best method, or the perturbation barely moves the score.")
        case .indistinct: return ("Metrics that cannot tell methods apart", "Samples disagree on the order of the methods, so the metric's ranking is close to noise (Tomsett et al. 2020).")
        case .missingScores: return ("Samples not scored", "These means are over fewer samples than the others'; the missing ones may not be missing at random.")
        }
    }

    public static let minimumAlpha = 0.2
    public static let maximumSimilarity = 0.5
    public static let flatCurve = 0.1
    /// Metrics that compare maps before and after destroying the model's knowledge.
    public static let sanityMetrics: Set<String> = ["model_randomization", "data_randomization", "random_logit"]
    /// Whether a metric column is a sanity check: its name, or its id when a suite names the
    /// metric twice (`model_randomization@layers=all,mode=independent`).
    public static func isSanity(_ metric: String) -> Bool { sanityMetrics.contains(String(metric.prefix { $0 != "@" })) }

    /// The `mean_rank` rows, best (lowest) first.
    public let ranking: [SummaryRow]
    public let headline: String
    public let warnings: [Warning]

    public init(_ input: ReportInput) {
        let labels = ExplainerName.labels(input.explainers)
        func label(_ id: String) -> String { labels[id] ?? ExplainerName(id).name }
        func interval(_ r: SummaryRow) -> String { "\(Markup.number(r.mean)) [\(Markup.number(r.low)), \(Markup.number(r.high))]" }

        ranking = input.summary.filter { $0.metric == ReportInput.meanRankMetric && $0.variant == "" }
            .sorted { ($0.mean.isFinite ? $0.mean : .infinity, $0.explainer) < ($1.mean.isFinite ? $1.mean : .infinity, $1.explainer) }
        headline = Self.headline(ranking, input: input, label: label)

        var w: [Warning] = []
        for metric in input.metrics {
            let rows = input.summary.filter { $0.metric == metric && $0.variant == "" && $0.mean.isFinite }
            let controls = rows.filter { ExplainerName($0.explainer).isControl }
            let methods = rows.filter { !ExplainerName($0.explainer).isControl }
            guard let higher = rows.first?.higherIsBetter else { continue }
            func better(_ a: Double, _ b: Double) -> Bool { higher ? a > b : a < b }
            // A control that ties (intervals overlap) or beats a method.
            for c in controls {
                let beaten = methods.filter { m in better(c.mean, m.mean) || (c.low <= m.high && m.low <= c.high) }
                guard !beaten.isEmpty else { continue }
                let list = beaten.map { "\(label($0.explainer)) \(interval($0))" }.joined(separator: ", ")
                w.append(Warning(kind: .controlTies, metric: metric, explainers: [c.explainer] + beaten.map(\.explainer),
                                 message: "\(metric): control \(label(c.explainer)) \(interval(c)) ties or beats \(list)."))
            }
            // Saturation: random inside the best method's interval.
            if let random = controls.first(where: { ExplainerName($0.explainer).name == "random" }),
               let best = methods.min(by: { better($0.mean, $1.mean) }), random.mean >= best.low, random.mean <= best.high {
                w.append(Warning(kind: .saturated, metric: metric, explainers: [random.explainer, best.explainer],
                                 message: "\(metric): the random control's mean \(Markup.number(random.mean)) lies inside the interval of the best method, \(label(best.explainer)) \(interval(best))."))
            }
            // Saturation: flat curves.
            if let byExplainer = input.curves[metric], !byExplainer.isEmpty {
                let means = byExplainer.values.map(\.mean).filter { $0.count > 1 }
                let starts = means.map { $0.first! }.filter(\.isFinite), ends = means.map { $0.last! }.filter(\.isFinite)
                if !starts.isEmpty, !ends.isEmpty {
                    let s = starts.reduce(0, +) / Double(starts.count), e = ends.reduce(0, +) / Double(ends.count)
                    if abs(e - s) < Self.flatCurve {
                        w.append(Warning(kind: .saturated, metric: metric, explainers: [],
                                         message: "\(metric): the curves are flat — averaged over explainers they start at \(Markup.number(s)) and end at \(Markup.number(e)), so perturbing every pixel barely changes the score."))
                    }
                }
            }
            // Reliability.
            if let alpha = input.reliability.first(where: { $0.kind == "inter_rater" && $0.metric == metric && $0.variant == "" }),
               alpha.value.isFinite, alpha.value < Self.minimumAlpha {
                w.append(Warning(kind: .indistinct, metric: metric, explainers: [],
                                 message: "\(metric): Krippendorff's α = \(Markup.number(alpha.value)) over \(alpha.n) samples (below \(Markup.number(Self.minimumAlpha)))."))
            }
            // Sanity checks.
            if Self.isSanity(metric) {
                for m in methods where m.mean > Self.maximumSimilarity {
                    w.append(Warning(kind: .sanityFailed, metric: metric, explainers: [m.explainer],
                                     message: "\(label(m.explainer)) on \(metric): similarity \(interval(m)) to its maps on the randomized model, above \(Markup.number(Self.maximumSimilarity))."))
                }
            }
        }
        // Samples not scored, per explainer and metric (main variant).
        var total: [String: [String: Int]] = [:], bad: [String: [String: [String: Int]]] = [:]
        var metricOrder: [String] = []
        for r in input.perSample where r.variant == "" {
            if !metricOrder.contains(r.metric) { metricOrder.append(r.metric) }
            total[r.metric, default: [:]][r.explainer, default: 0] += 1
            if r.status != "ok" { bad[r.metric, default: [:]][r.explainer, default: [:]][r.status, default: 0] += 1 }
        }
        let explainerOrder = input.explainers
        for metric in metricOrder {
            guard let byExplainer = bad[metric] else { continue }
            for e in explainerOrder + byExplainer.keys.filter({ !explainerOrder.contains($0) }).sorted() {
                guard let statuses = byExplainer[e] else { continue }
                let count = statuses.values.reduce(0, +), n = total[metric]![e]!
                let detail = statuses.keys.sorted().map { "\(statuses[$0]!) \($0)" }.joined(separator: ", ")
                w.append(Warning(kind: .missingScores, metric: metric, explainers: [e],
                                 message: "\(label(e)) on \(metric): \(count) of \(n) samples not scored (\(detail)); its mean is over \(n - count)."))
            }
        }
        warnings = w
    }

    /// "gradcam is best by mean rank (1.5 [1.17, 1.83]); saliency (1.67 [1.5, 2.17]) is within its interval."
    static func headline(_ ranking: [SummaryRow], input: ReportInput, label: (String) -> String) -> String {
        guard let best = ranking.first else {
            return input.summary.isEmpty ? "No scores." : "No mean rank (it needs two explainers or more); see the per-metric tables."
        }
        let text = "\(label(best.explainer)) ranks best by mean rank over \(input.metrics.count) metrics: \(Markup.number(best.mean)) (95 % CI \(Markup.number(best.low))–\(Markup.number(best.high)))."
        guard ranking.count > 1 else { return text }
        let close = ranking.dropFirst().filter { $0.low <= best.high }
        let second = ranking[1]
        let tests = pairedTests(best.explainer, second.explainer, input: input, label: label)
        if close.isEmpty {
            return text + " Its interval is clear of the runner-up, \(label(second.explainer)) (\(Markup.number(second.mean)), \(Markup.number(second.low))–\(Markup.number(second.high))): the lead is solid on these samples." + tests
        }
        let names = close.map { "\(label($0.explainer)) (\(Markup.number($0.mean)), \(Markup.number($0.low))–\(Markup.number($0.high)))" }.joined(separator: ", ")
        return text + " Not clearly ahead: the interval of \(names) overlaps it." + tests
    }

    /// " Paired tests against saliency (Holm, p < 0.05): better on 1 metric, worse on 2, no
    /// significant difference on 3." — from the main-variant rows of `pairwise.csv`; "" when
    /// the two were not tested.
    static func pairedTests(_ best: String, _ other: String, input: ReportInput, label: (String) -> String) -> String {
        let rows = input.pairwise.filter { $0.variant == "" && Set([$0.a, $0.b]) == Set([best, other]) && input.metrics.contains($0.metric) }
        guard !rows.isEmpty else { return "" }
        let wins = rows.filter { $0.better == best }.count, losses = rows.filter { $0.better == other }.count
        func metrics(_ n: Int) -> String { n == 1 ? "1 metric" : "\(n) metrics" }
        return " Paired tests against \(label(other)) (Wilcoxon, Holm p < 0.05): better on \(metrics(wins)), worse on \(metrics(losses)), no significant difference on \(metrics(rows.count - wins - losses))."
    }
}
