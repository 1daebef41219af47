import Foundation
import ProbityCore
import Yams

/// A release-gate policy (YAML): rules on a run's scores that must all hold for a release.
///
///     alpha: 0.05                 # significance of the regression test (default 0.05)
///     rules:
///       - {explainer: gradcam, metric: insertion, min: 0.3}          # absolute bound on the mean
///       - {explainer: saliency, metric: model_randomization, max: 0.5}
///       - {explainer: gradcam, metric: deletion, max_drop: 0.05, against: baseline}
///
/// `explainer` is a name (when the run has one entry of it) or a full id; `variant` picks a
/// variant (default: the main score). `min`/`max` bound the mean; `max_drop` fails when the
/// score worsened against the baseline run (`--baseline`) by more than δ *and* the change is
/// significant under a paired Wilcoxon test on the samples both runs scored. Worse means
/// lower for metrics where higher is better and higher otherwise.
public struct GatePolicy: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var explainer: String
        public var metric: String
        public var variant: String
        public var min: Double?
        public var max: Double?
        public var maxDrop: Double?
        public var line: Int

        /// How the rule reads in tables: `insertion of gradcam ≥ 0.3`.
        public var text: String {
            let what = "\(metric)\(variant.isEmpty ? "" : " [\(variant)]") of \(explainer)"
            var parts: [String] = []
            if let min { parts.append("≥ \(min)") }
            if let max { parts.append("≤ \(max)") }
            if let maxDrop { parts.append("drops ≤ \(maxDrop) vs baseline") }
            return what + " " + parts.joined(separator: ", ")
        }
    }

    public var path: String
    public var alpha: Double
    public var rules: [Rule]

    static let ruleKeys = ["explainer", "metric", "variant", "min", "max", "max_drop", "against"]

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ProbityError.badFile(path, "cannot read the gate policy")
        }
        try self.init(yaml: text, path: path)
    }

    public init(yaml text: String, path: String) throws {
        self.path = path
        let fail = { (node: Node?, message: String) -> ProbityError in
            ProbityError.badFile(path, (node?.mark.map { "line \($0.line): " } ?? "") + message)
        }
        let root: Node
        do {
            guard let r = try Yams.compose(yaml: text) else { throw ProbityError.badFile(path, "is empty; a policy needs `rules`") }
            root = r
        } catch let e as YamlError { throw ProbityError.badFile(path, "is not valid YAML: \(Suite.describe(e))") }
        guard let top = root.mapping else { throw fail(root, "a policy is a mapping with `rules` (and optionally `alpha`)") }
        var alpha = 0.05, rules: [Rule] = []
        var sawRules = false
        for (k, v) in top {
            switch k.string ?? "" {
            case "alpha":
                guard let a = v.decimalNumber, a > 0, a < 1 else { throw fail(v, "`alpha` must be a number between 0 and 1") }
                alpha = a
            case "rules":
                sawRules = true
                guard let list = v.sequence, !list.isEmpty else { throw fail(v, "`rules` must be a non-empty list") }
                rules = try list.map { try GatePolicy.rule($0, fail: fail) }
            default:
                let key = k.string ?? ""
                throw fail(k, "unknown key `\(key)`\(DidYouMean.hint(for: key, among: ["rules", "alpha"])); a policy takes rules, alpha")
            }
        }
        guard sawRules else { throw ProbityError.badFile(path, "missing key `rules`") }
        self.alpha = alpha
        self.rules = rules
    }

    static func rule(_ node: Node, fail: (Node?, String) -> ProbityError) throws -> Rule {
        guard let m = node.mapping else { throw fail(node, "each rule is a mapping {explainer, metric, min|max|max_drop}") }
        var fields: [String: Node] = [:]
        for (k, v) in m {
            let key = k.string ?? ""
            guard ruleKeys.contains(key) else {
                throw fail(k, "unknown rule key `\(key)`\(DidYouMean.hint(for: key, among: ruleKeys)); a rule takes \(ruleKeys.joined(separator: ", "))")
            }
            fields[key] = v
        }
        guard let explainer = fields["explainer"]?.string, !explainer.isEmpty else { throw fail(node, "a rule needs `explainer`") }
        guard let metric = fields["metric"]?.string, !metric.isEmpty else { throw fail(node, "a rule needs `metric`") }
        func number(_ key: String) throws -> Double? {
            guard let v = fields[key] else { return nil }
            guard let x = v.decimalNumber, x.isFinite else { throw fail(v, "`\(key)` must be a number") }
            return x
        }
        let rule = Rule(explainer: explainer, metric: metric, variant: fields["variant"]?.string ?? "", min: try number("min"), max: try number("max"),
                        maxDrop: try number("max_drop"), line: node.mark?.line ?? 0)
        guard rule.min != nil || rule.max != nil || rule.maxDrop != nil else { throw fail(node, "a rule needs min, max or max_drop") }
        if let d = rule.maxDrop, d < 0 { throw fail(fields["max_drop"], "`max_drop` must not be negative") }
        if let against = fields["against"]?.string, against != "baseline" { throw fail(fields["against"], "`against` can only be baseline (the run given with --baseline)") }
        if fields["against"] != nil && rule.maxDrop == nil { throw fail(node, "`against` goes with `max_drop`") }
        return rule
    }
}
