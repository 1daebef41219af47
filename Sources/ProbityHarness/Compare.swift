import Foundation
import ProbityCore
import ProbityMetrics
import ProbityReports

/// `probity compare RUN_A RUN_B`: what changed between two runs, per explainer and metric
/// (main scores): both means, the difference B − A on the samples both runs scored ok, and a
/// paired Wilcoxon signed-rank test on those samples, Holm-corrected over the whole table.
/// Explainers are matched by id, or by name when each run has one entry of it (so a run with
/// new defaults still lines up); metrics by name.
public struct Compare {
    public var a: RunResults
    public var b: RunResults
    public var alpha = 0.05

    public init(a: RunResults, b: RunResults) { self.a = a; self.b = b }

    /// Lines naming the explainers only one run has (not in the table), e.g. the transformer
    /// methods of a ViT's run beside a CNN's.
    public func notes(_ rows: [Comparison.Row], names: Comparison.Names = .letters) -> [String] {
        let matchedA = Set(rows.map(\.explainerA)), matchedB = Set(rows.map(\.explainerB))
        var lines: [String] = []
        for (name, keys, matched) in [(names.a, a.explainers, matchedA), (names.b, b.explainers, matchedB)] {
            let only = keys.filter { !matched.contains($0) }
            if !only.isEmpty { lines.append("only in \(name) (not compared): \(only.joined(separator: ", "))") }
        }
        return lines
    }

    public func rows() throws -> [Comparison.Row] {
        var pairs: [(String, String, String)] = []   // (label, key in A, key in B)
        let labelsA = ExplainerLabels.labels(a.explainers), labelsB = ExplainerLabels.labels(b.explainers)
        for keyA in a.explainers {
            if b.explainers.contains(keyA) { pairs.append((labelsA[keyA]?.name ?? keyA, keyA, keyA)); continue }
            let name = String(keyA.split(separator: "@", maxSplits: 1)[0])
            let sameA = a.explainers.filter { $0.split(separator: "@", maxSplits: 1)[0] == name }
            let sameB = b.explainers.filter { $0.split(separator: "@", maxSplits: 1)[0] == name }
            if sameA.count == 1 && sameB.count == 1 { pairs.append((labelsA[keyA]?.name ?? name, keyA, sameB[0])) }
        }
        guard !pairs.isEmpty else {
            throw ProbityError.invalidArgument("\(a.directory) and \(b.directory) share no explainer (A: \(a.explainers.joined(separator: ", ")); B: \(b.explainers.joined(separator: ", ")))")
        }
        _ = labelsB
        var metrics: [String] = []
        for r in a.summary where r.variant.isEmpty && r.metric != "mean_rank" && !metrics.contains(r.metric) { metrics.append(r.metric) }
        metrics = metrics.filter { m in b.summary.contains { $0.metric == m } }
        guard !metrics.isEmpty else { throw ProbityError.invalidArgument("\(a.directory) and \(b.directory) share no metric") }
        var rows: [Comparison.Row] = []
        for m in metrics {
            for (label, ka, kb) in pairs {
                guard let ra = a.summary.first(where: { $0.explainer == ka && $0.metric == m && $0.variant.isEmpty }),
                      let rb = b.summary.first(where: { $0.explainer == kb && $0.metric == m && $0.variant.isEmpty }) else { continue }
                let sa = a.samples(explainer: ka, metric: m, variant: "").ok, sb = b.samples(explainer: kb, metric: m, variant: "").ok
                let shared = Set(sa.keys).intersection(sb.keys).sorted()
                let va = shared.map { sa[$0]! }, vb = shared.map { sb[$0]! }
                let p = shared.count > 0 ? Wilcoxon.test(vb, va).p : .nan
                let diff = shared.isEmpty ? Double.nan : zip(vb, va).reduce(0) { $0 + $1.0 - $1.1 } / Double(shared.count)
                rows.append(Comparison.Row(explainer: label, explainerA: ka, explainerB: kb, metric: m, higherIsBetter: ra.higherIsBetter,
                                           meanA: ra.mean, meanB: rb.mean, shared: shared.count, difference: diff, p: p, pHolm: .nan, verdict: ""))
            }
        }
        let tested = rows.indices.filter { rows[$0].p.isFinite }
        let adjusted = Holm.adjust(tested.map { rows[$0].p })
        for (t, i) in tested.enumerated() {
            rows[i].pHolm = adjusted[t]
            let d = rows[i].difference
            rows[i].verdict = adjusted[t] < alpha && d != 0 ? ((d > 0) == rows[i].higherIsBetter ? "better" : "worse") : "no significant change"
        }
        for i in rows.indices where !rows[i].p.isFinite { rows[i].verdict = "not tested (\(rows[i].shared) shared samples)" }
        return rows
    }
}
