import Foundation
import ProbityCore
import ProbityMetrics
import ProbityReports

/// `probity gate`: checks a run against a `GatePolicy` (and a baseline run for regression
/// rules). A rule passes only on evidence: a missing score, a mean that is not a number, or a
/// sample whose explainer failed fails the rule, never passes it. A rule that names an
/// explainer, metric or variant the run lacks is bad input (exit 2), not a failure.
public struct Gate {
    public var policy: GatePolicy
    public var run: RunResults
    public var baseline: RunResults?

    public init(policy: GatePolicy, run: RunResults, baseline: RunResults? = nil) { self.policy = policy; self.run = run; self.baseline = baseline }

    /// Checks every rule; throws on bad input before judging anything.
    public func evaluate() throws -> GateResult {
        let outcomes = try policy.rules.map { rule -> GateResult.Outcome in
            let keys = run.explainer(rule.explainer)
            let here = "rule at line \(rule.line)"
            guard !keys.isEmpty else {
                throw ProbityError.badInput(file: policy.path, location: here, problem: "explainer \(rule.explainer) is not in \(run.directory) (it has \(run.explainers.map { ExplainerLabels.labels(run.explainers)[$0]?.name ?? $0 }.joined(separator: ", ")))")
            }
            guard keys.count == 1 else { throw ProbityError.badInput(file: policy.path, location: here, problem: "explainer \(rule.explainer) is ambiguous in \(run.directory): \(keys.joined(separator: ", "))") }
            let key = keys[0]
            let metrics = Set(run.summary.map(\.metric))
            guard metrics.contains(rule.metric) else {
                throw ProbityError.badInput(file: policy.path, location: here, problem: "metric \(rule.metric) is not in \(run.directory)\(DidYouMean.hint(for: rule.metric, among: Array(metrics)))")
            }
            guard let row = run.summary.first(where: { $0.explainer == key && $0.metric == rule.metric && $0.variant == rule.variant }) else {
                let variants = Set(run.summary.filter { $0.metric == rule.metric }.map(\.variant)).sorted()
                throw ProbityError.badInput(file: policy.path, location: here, problem: "\(rule.metric) has no variant `\(rule.variant)` (it has: \(variants.map { $0.isEmpty ? "\"\" (main)" : $0 }.joined(separator: ", ")))")
            }
            let cell = run.samples(explainer: key, metric: rule.metric, variant: rule.variant)
            var o = GateResult.Outcome(rule: rule.text, line: rule.line, explainer: key, metric: rule.metric, variant: rule.variant,
                                       mean: row.mean, low: row.low, high: row.high, n: row.n, total: cell.statuses.values.reduce(0, +), passed: true, reasons: [])
            if !row.mean.isFinite || row.n == 0 { o.passed = false; o.reasons.append("no valid score (n = 0)") }
            if let failed = cell.statuses["failed"], failed > 0 { o.passed = false; o.reasons.append("\(failed) sample\(failed == 1 ? "" : "s") failed to explain") }
            if let min = rule.min, row.mean.isFinite, row.mean < min { o.passed = false; o.reasons.append("mean \(GateResult.number(row.mean)) < \(min)") }
            if let max = rule.max, row.mean.isFinite, row.mean > max { o.passed = false; o.reasons.append("mean \(GateResult.number(row.mean)) > \(max)") }
            if let maxDrop = rule.maxDrop {
                guard let baseline else {
                    throw ProbityError.badInput(file: policy.path, location: here, problem: "max_drop compares with a baseline run: give --baseline DIR")
                }
                let bkeys = baseline.explainer(rule.explainer)
                guard bkeys.count == 1 else {
                    throw ProbityError.badInput(file: policy.path, location: here, problem: "explainer \(rule.explainer) is not (or not once) in the baseline \(baseline.directory)")
                }
                let base = baseline.samples(explainer: bkeys[0], metric: rule.metric, variant: rule.variant)
                let shared = Set(cell.ok.keys).intersection(base.ok.keys).sorted()
                o.baselineMean = baseline.summary.first { $0.explainer == bkeys[0] && $0.metric == rule.metric && $0.variant == rule.variant }?.mean
                if shared.count < 2 {
                    o.passed = false; o.reasons.append("only \(shared.count) sample\(shared.count == 1 ? "" : "s") scored in both runs")
                } else {
                    let a = shared.map { cell.ok[$0]! }, b = shared.map { base.ok[$0]! }
                    let sign: Double = row.higherIsBetter ? 1 : -1
                    // Drop: how much worse the candidate is, on the samples both runs scored.
                    let drop = sign * zip(b, a).reduce(0) { $0 + $1.0 - $1.1 } / Double(shared.count)
                    let test = Wilcoxon.test(a, b)
                    o.drop = drop; o.p = test.p; o.shared = shared.count
                    if drop > maxDrop && test.p.isFinite && test.p < policy.alpha {
                        o.passed = false
                        o.reasons.append("dropped \(GateResult.number(drop)) (> \(maxDrop)) on \(shared.count) shared samples, Wilcoxon p = \(GateResult.number(test.p))")
                    }
                }
            }
            return o
        }
        return GateResult(policy: policy.path, run: run.directory, baseline: baseline?.directory, alpha: policy.alpha, outcomes: outcomes)
    }
}
