import Foundation

/// The verdict of a release gate and its writers: a text table for the terminal, JUnit XML
/// for CI systems (one test case per rule), and Markdown for a pull-request comment. Every
/// writer shows the numbers behind each verdict.
public struct GateResult: Sendable {
    public struct Outcome: Sendable {
        public var rule: String
        public var line: Int
        public var explainer, metric, variant: String
        public var mean, low, high: Double
        public var n, total: Int
        public var passed: Bool
        public var reasons: [String]
        public var baselineMean: Double? = nil
        public var drop: Double? = nil
        public var p: Double? = nil
        public var shared: Int? = nil

        public init(rule: String, line: Int, explainer: String, metric: String, variant: String, mean: Double, low: Double, high: Double,
                    n: Int, total: Int, passed: Bool, reasons: [String]) {
            self.rule = rule; self.line = line; self.explainer = explainer; self.metric = metric; self.variant = variant
            self.mean = mean; self.low = low; self.high = high; self.n = n; self.total = total; self.passed = passed; self.reasons = reasons
        }

        var evidence: String {
            var s = "mean \(GateResult.number(mean)) [\(GateResult.number(low)), \(GateResult.number(high))], n = \(n)\(total > n ? " of \(total)" : "")"
            if let b = baselineMean { s += "; baseline \(GateResult.number(b))" }
            if let d = drop, let p { s += "; drop \(GateResult.number(d)), p = \(GateResult.number(p))" }
            return s
        }
    }

    public var policy: String
    public var run: String
    public var baseline: String?
    public var alpha: Double
    public var outcomes: [Outcome]

    public init(policy: String, run: String, baseline: String?, alpha: Double, outcomes: [Outcome]) {
        self.policy = policy; self.run = run; self.baseline = baseline; self.alpha = alpha; self.outcomes = outcomes
    }

    public var passed: Bool { outcomes.allSatisfy(\.passed) }
    public var failures: Int { outcomes.filter { !$0.passed }.count }

    /// Four significant digits (`Markup.number`), as every table here shows numbers.
    public static func number(_ v: Double) -> String { Markup.number(v, digits: 4) }

    /// The terminal table: one line per rule with PASS/FAIL, the rule, and its numbers.
    public var text: String {
        var lines = ["gate \(passed ? "PASSED" : "FAILED"): \(outcomes.count - failures) of \(outcomes.count) rules hold (\(policy) on \(run)\(baseline.map { ", baseline \($0)" } ?? ""))"]
        let width = outcomes.map(\.rule.count).max() ?? 0
        for o in outcomes {
            let rule = o.rule + String(repeating: " ", count: max(0, width - o.rule.count))
            lines.append("  \(o.passed ? "PASS" : "FAIL")  \(rule)  \(o.evidence)\(o.reasons.isEmpty ? "" : " — " + o.reasons.joined(separator: "; "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JUnit XML (the Surefire schema Jenkins, GitLab and GitHub actions read).
    public var junit: String {
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"probity gate\" tests=\"\(outcomes.count)\" failures=\"\(failures)\">\n"
        x += "  <testsuite name=\"\(GateResult.xml(policy))\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for o in outcomes {
            x += "    <testcase classname=\"probity.gate.\(GateResult.xml(o.metric))\" name=\"\(GateResult.xml(o.rule))\">\n"
            if !o.passed {
                x += "      <failure message=\"\(GateResult.xml(o.reasons.joined(separator: "; ")))\">\(GateResult.xml(o.evidence))</failure>\n"
            }
            x += "      <system-out>\(GateResult.xml(o.evidence))</system-out>\n"
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    /// Markdown for a pull-request comment.
    public var markdown: String {
        var m = "### Explanation quality gate: \(passed ? "✅ passed" : "❌ failed")\n\n"
        m += "\(outcomes.count - failures) of \(outcomes.count) rules hold. Run `\(GateResult.md(run))`\(baseline.map { ", baseline `\(GateResult.md($0))`" } ?? ""), policy `\(GateResult.md(policy))`.\n\n"
        m += "| | rule | mean [95 % CI] | n | baseline | drop (p) | why |\n|---|---|---|---|---|---|---|\n"
        for o in outcomes {
            let base = o.baselineMean.map(GateResult.number) ?? ""
            let drop = o.drop.map { d in GateResult.number(d) + (o.p.map { " (\(GateResult.number($0)))" } ?? "") } ?? ""
            m += "| \(o.passed ? "✅" : "❌") | \(GateResult.md(o.rule)) | \(GateResult.number(o.mean)) [\(GateResult.number(o.low)), \(GateResult.number(o.high))] | \(o.n)\(o.total > o.n ? "/\(o.total)" : "") | \(base) | \(drop) | \(GateResult.md(o.reasons.joined(separator: "; "))) |\n"
        }
        return m
    }

    static func xml(_ s: String) -> String { Markup.escape(s) }

    /// Markdown table text: pipes escaped, HTML tags neutralized, one line.
    static func md(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\n", with: " ")
    }
}
