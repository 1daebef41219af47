import XCTest
import ProbityMetrics
@testable import ProbityReports

final class VerdictTests: XCTestCase {
    typealias F = ReportFixtures

    func testCleanRunRaisesNoWarning() {
        let v = Verdict(F.clean())
        XCTAssertEqual(v.warnings, [], v.warnings.map(\.message).joined(separator: "\n"))
        XCTAssertEqual(v.ranking.first.map { ExplainerName($0.explainer).name }, "integrated_gradients")
        XCTAssertTrue(v.headline.contains("integrated_gradients"))
        XCTAssertTrue(v.headline.contains("clear of the runner-up"), v.headline)
    }

    func testControlThatBeatsOrTiesAMethodIsReported() {
        var input = F.clean()
        // sobel beats gradcam on insertion; center_gaussian's interval overlaps gradcam's.
        for i in input.summary.indices where input.summary[i].metric == "insertion" {
            switch ExplainerName(input.summary[i].explainer).name {
            case "sobel": input.summary[i].mean = 0.85; input.summary[i].low = 0.84; input.summary[i].high = 0.86
            case "center_gaussian": input.summary[i].mean = 0.75; input.summary[i].low = 0.7; input.summary[i].high = 0.79
            default: break
            }
        }
        let ws = Verdict(input).warnings.filter { $0.kind == .controlTies }
        XCTAssertEqual(ws.count, 2)
        XCTAssertEqual(Set(ws.map { ExplainerName($0.explainers[0]).name }), ["sobel", "center_gaussian"])
        XCTAssertTrue(ws.allSatisfy { $0.metric == "insertion" && $0.explainers.contains("gradcam@layer=auto") })
        XCTAssertEqual(ws.first { ExplainerName($0.explainers[0]).name == "center_gaussian" }?.explainers, ["center_gaussian@sigma=0.25", "gradcam@layer=auto"])
    }

    func testRandomInsideBestIntervalAndFlatCurvesSaturate() {
        var input = F.clean()
        for i in input.summary.indices where input.summary[i].metric == "deletion" && input.summary[i].explainer == "random" {
            input.summary[i].mean = 0.11; input.summary[i].low = 0.09; input.summary[i].high = 0.13
        }
        let flat = ReportInput.Curves(samples: [0], rows: [[0.95, 0.94, 0.93]])
        input.curves["deletion"] = Dictionary(uniqueKeysWithValues: input.explainers.map { ($0, flat) })
        let ws = Verdict(input).warnings.filter { $0.kind == .saturated }
        XCTAssertEqual(ws.count, 2, ws.map(\.message).joined(separator: "\n"))
        XCTAssertTrue(ws.allSatisfy { $0.metric == "deletion" })
        XCTAssertTrue(ws.contains { $0.message.contains("flat") })
    }

    func testLowAlphaMissingScoresAndFailedSanityCheck() {
        var input = F.clean()
        input.reliability[0].value = 0.05
        input.perSample[3].status = "nan"; input.perSample[3].value = .nan
        input.perSample[4].status = "failed"
        for i in input.summary.indices where input.summary[i].metric == "model_randomization" && input.summary[i].variant == "" && input.summary[i].explainer.hasPrefix("gradcam") {
            input.summary[i].mean = 0.8
        }
        let v = Verdict(input)
        let alpha = v.warnings.filter { $0.kind == .indistinct }
        XCTAssertEqual(alpha.map(\.metric), ["insertion"])
        let missing = v.warnings.filter { $0.kind == .missingScores }
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(missing[0].message.contains("2 of 20"), missing[0].message)
        XCTAssertTrue(missing[0].message.contains("1 failed, 1 nan"), missing[0].message)
        let sanity = v.warnings.filter { $0.kind == .sanityFailed }
        XCTAssertEqual(sanity.map(\.explainers), [["gradcam@layer=auto"]])
        // A suite that names the check twice gets id columns; they are sanity checks all the same.
        let id = "model_randomization@layers=all,mode=independent"
        for i in input.summary.indices where input.summary[i].metric == "model_randomization" { input.summary[i].metric = id }
        XCTAssertEqual(Verdict(input).warnings.filter { $0.kind == .sanityFailed }.map(\.metric), [id])
        XCTAssertTrue(Verdict.isSanity(id) && !Verdict.isSanity("deletion@step=auto"))
    }

    /// The headline counts the paired tests between the best and the runner-up.
    func testHeadlineCountsPairedTestsAgainstTheRunnerUp() {
        var input = F.clean()
        let ig = "integrated_gradients@baseline=black,method=gausslegendre,steps=50", gc = "gradcam@layer=auto"
        func test(_ metric: String, better: String) -> PairwiseRow {
            PairwiseRow(metric: metric, variant: "", a: gc, b: ig, n: 20, meanDifference: 0, statistic: 0, p: 0.01, pHolm: better.isEmpty ? 0.2 : 0.01, better: better)
        }
        input.pairwise = [test("insertion", better: ig), test("deletion", better: ig), test("model_randomization", better: ""),
                          PairwiseRow(metric: "insertion", variant: "logits/spearman", a: gc, b: ig, n: 20, meanDifference: 0, statistic: 0, p: 0.01, pHolm: 0.01, better: gc)]
        let h = Verdict(input).headline
        XCTAssertTrue(h.contains("Paired tests against gradcam"), h)
        XCTAssertTrue(h.contains("better on 2 metrics, worse on 0 metrics, no significant difference on 1 metric."), h)
    }

    func testNoMeanRankGivesAHeadlineWithoutRanking() {
        var input = F.clean()
        input.summary.removeAll { $0.metric == ReportInput.meanRankMetric }
        let v = Verdict(input)
        XCTAssertTrue(v.ranking.isEmpty)
        XCTAssertTrue(v.headline.contains("No mean rank"))
    }
}
