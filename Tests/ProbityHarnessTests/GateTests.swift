import Foundation
import XCTest
@testable import ProbityHarness
@testable import ProbityReports
import ProbityCore
import ProbityMetrics


/// The release gate on hand-made run folders: bounds, regressions judged by a paired test,
/// failed and missing scores failing a rule, bad policies refused, and the JUnit and Markdown
/// the CI systems read.
final class GateTests: XCTestCase {
    func folder(_ name: String, _ rows: [(String, String, Int, Float, String)], higherIsBetter: [String: Bool]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-gate-\(getpid())-\(name)").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let scores = rows.map { ScoreRow(explainer: $0.0, metric: $0.1, variant: "", sample: $0.2, label: 0, value: $0.3, status: $0.4) }
        try ResultTables.perSample(scores).write(toFile: dir + "/per_sample.csv", atomically: true, encoding: .utf8)
        let summary = Summary.rows(ScoreTable(rows: scores, higherIsBetter: higherIsBetter), perClass: [], seed: 0)
        try ResultTables.summary(summary).write(toFile: dir + "/summary.csv", atomically: true, encoding: .utf8)
        return dir
    }

    func policy(_ yaml: String) throws -> GatePolicy { try GatePolicy(yaml: yaml, path: "policy.yaml") }

    /// Twelve samples of insertion for two explainers; `shift` lowers gradcam's scores.
    func run(_ name: String, shift: Float = 0, failed: Int = 0) throws -> RunResults {
        var rows: [(String, String, Int, Float, String)] = []
        for s in 0..<12 {
            // A drop of shift + 0.001·s: distinct differences, so the exact test applies.
            let drop = shift > 0 ? shift + 0.001 * Float(s) : 0
            rows.append(("gradcam@layer=auto", "insertion", s, 0.8 + 0.01 * Float(s) - drop, s < failed ? "failed" : "ok"))
            rows.append(("saliency@abs=true", "insertion", s, 0.5 + 0.02 * Float(s % 3), "ok"))
        }
        return try RunResults(directory: try folder(name, rows, higherIsBetter: ["insertion": true]))
    }

    func testBoundsPassAndFailWithTheirNumbers() throws {
        let r = try run("bounds")
        let result = try Gate(policy: try policy("rules:\n  - {explainer: gradcam, metric: insertion, min: 0.8}\n  - {explainer: saliency, metric: insertion, min: 0.6}"), run: r).evaluate()
        XCTAssertFalse(result.passed)
        XCTAssertEqual(result.outcomes.map(\.passed), [true, false])
        XCTAssertEqual(result.outcomes[0].mean, 0.855, accuracy: 1e-6)           // mean of 0.80…0.91
        XCTAssertEqual(result.outcomes[1].reasons, ["mean 0.52 < 0.6"])
        XCTAssertTrue(result.text.contains("FAIL  insertion of saliency ≥ 0.6"), result.text)
        XCTAssertTrue(result.text.hasPrefix("gate FAILED: 1 of 2 rules hold"), result.text)
        // JUnit: one test case per rule, the failure carrying the reason.
        XCTAssertTrue(result.junit.contains("<testsuites name=\"probity gate\" tests=\"2\" failures=\"1\">"), result.junit)
        XCTAssertTrue(result.junit.contains("<failure message=\"mean 0.52 &lt; 0.6\">"), result.junit)
        XCTAssertTrue(result.markdown.contains("| ❌ | insertion of saliency ≥ 0.6 | 0.52 ["), result.markdown)
    }

    func testFailedSamplesAndMissingScoresFail() throws {
        let result = try Gate(policy: try policy("rules: [{explainer: gradcam, metric: insertion, min: 0.1}]"), run: try run("failed", failed: 2)).evaluate()
        XCTAssertFalse(result.passed)
        XCTAssertEqual(result.outcomes[0].reasons, ["2 samples failed to explain"])
        XCTAssertEqual(result.outcomes[0].n, 10)
        XCTAssertEqual(result.outcomes[0].total, 12)
        // Every sample failed: no valid score at all.
        let none = try Gate(policy: try policy("rules: [{explainer: gradcam, metric: insertion, max: 5}]"), run: try run("none", failed: 12)).evaluate()
        XCTAssertFalse(none.passed)
        XCTAssertTrue(none.outcomes[0].reasons.contains("no valid score (n = 0)"), "\(none.outcomes[0].reasons)")
    }

    func testRegressionNeedsASignificantDropLargerThanDelta() throws {
        let baseline = try run("base"), same = try run("same"), worse = try run("worse", shift: 0.1), slightly = try run("slightly", shift: 0.01)
        let p = try policy("rules: [{explainer: gradcam, metric: insertion, max_drop: 0.05, against: baseline}]")
        XCTAssertTrue(try Gate(policy: p, run: same, baseline: baseline).evaluate().passed)
        XCTAssertTrue(try Gate(policy: p, run: slightly, baseline: baseline).evaluate().passed)   // significant but under δ
        let r = try Gate(policy: p, run: worse, baseline: baseline).evaluate()
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.outcomes[0].drop!, 0.1055, accuracy: 1e-6)
        // 12 distinct paired differences, all of one sign: SciPy's exact two-sided p = 2 / 2^12.
        XCTAssertEqual(r.outcomes[0].p!, 2.0 / 4096, accuracy: 1e-9)
        XCTAssertThrowsError(try Gate(policy: p, run: worse).evaluate()) { XCTAssertTrue("\($0)".contains("give --baseline DIR"), "\($0)") }
    }

    func testBadPoliciesAndRulesNamingWhatTheRunLacks() throws {
        let r = try run("bad")
        func error(_ yaml: String) -> String {
            do { _ = try Gate(policy: try policy(yaml), run: r).evaluate(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("rules: [{explainer: lime, metric: insertion, min: 0}]"),
                       "policy.yaml: rule at line 1: explainer lime is not in \(r.directory) (it has gradcam, saliency)")
        XCTAssertTrue(error("rules: [{explainer: gradcam, metric: insertoin, min: 0}]").contains("metric insertoin is not in"))
        XCTAssertTrue(error("rules: [{explainer: gradcam, metric: insertion, minimum: 0}]").contains("unknown rule key `minimum`"))
        XCTAssertTrue(error("rules: [{explainer: gradcam, metric: insertion}]").contains("a rule needs min, max or max_drop"))
        XCTAssertTrue(error("rule: []").contains("unknown key `rule`; did you mean `rules`?"))
        XCTAssertTrue(error("rules: [{explainer: gradcam, metric: insertion, min: high}]").contains("`min` must be a number"))
    }

    func testHostileNamesStayInert() {
        XCTAssertEqual(GateResult.xml("<script>\"&'\u{1}"), "&lt;script&gt;&quot;&amp;&#39;\u{FFFD}")
        XCTAssertEqual(GateResult.md("a|b<img>"), "a\\|b&lt;img&gt;")
    }
}
