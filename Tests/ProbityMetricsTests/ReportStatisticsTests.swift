import Foundation
import XCTest
@testable import ProbityMetrics

/// `summary.csv`, `pairwise.csv` and `reliability.csv` rows from hand-made per-sample scores.
final class ReportStatisticsTests: XCTestCase {
    /// Three explainers on 8 samples: a is best on m1 (higher is better) and on m2 (lower is
    /// better) in every sample, c worst; m3 orders them the other way round.
    func table() -> ScoreTable {
        var rows: [ScoreRow] = []
        for s in 0..<8 {
            let noise = Float(s % 3) * 0.01
            for (k, (e, v)) in [("a", 0.9), ("b", 0.5), ("c", 0.1)].enumerated() {
                // A small term per explainer keeps the paired differences distinct (no ties).
                let own = Float(s * k) * 1e-4
                rows.append(ScoreRow(explainer: e, metric: "m1", variant: "", sample: s, label: s % 2, value: Float(v) + noise + own, status: "ok"))
                rows.append(ScoreRow(explainer: e, metric: "m2", variant: "", sample: s, label: s % 2, value: Float(1 - v) + noise + own, status: "ok"))
                rows.append(ScoreRow(explainer: e, metric: "m3", variant: "", sample: s, label: s % 2, value: Float(1 - v) + 2 * noise, status: "ok"))
            }
        }
        rows.append(ScoreRow(explainer: "a", metric: "m1", variant: "", sample: 8, label: 0, value: .nan, status: "nan"))
        return ScoreTable(rows: rows, higherIsBetter: ["m1": true, "m2": false, "m3": true])
    }

    func testSummaryRanksAndMeanRank() {
        let rows = Summary.rows(table(), perClass: ["m1"], seed: 0)
        let m1 = rows.filter { $0.metric == "m1" && $0.variant == "" }
        XCTAssertEqual(m1.map(\.explainer), ["a", "b", "c"])
        XCTAssertEqual(m1.map(\.rank), [1, 2, 3])
        XCTAssertEqual(m1[0].n, 8)                                              // the nan sample is left out
        XCTAssertEqual(m1[0].mean, 0.9 + (0 + 0.01 + 0.02 + 0 + 0.01 + 0.02 + 0 + 0.01) / 8, accuracy: 1e-6)
        XCTAssert(m1.allSatisfy { $0.low <= $0.mean && $0.mean <= $0.high })
        // Per class: labels alternate, class means (0.9 + 0.01·{0,2,1,0}/4) and (0.9 + 0.01·{1,0,2,1}/4).
        let perClass = rows.first { $0.metric == "m1" && $0.variant == "per_class" && $0.explainer == "a" }!
        XCTAssertEqual(perClass.mean, ((0.9 + 0.03 / 4) + (0.9 + 0.04 / 4)) / 2, accuracy: 1e-6)
        // Mean rank over m1, m2, m3: a = (1 + 1 + 3)/3, b = 2, c = (3 + 3 + 1)/3.
        let meanRank = rows.filter { $0.metric == "mean_rank" }
        XCTAssertEqual(meanRank.map(\.mean), [5.0 / 3, 2, 7.0 / 3])
        XCTAssertEqual(meanRank.map(\.rank), [1, 2, 3])
        XCTAssertEqual(meanRank[0].n, 3)
        // Every sample gives the same ranking: the interval is the point.
        XCTAssertEqual(meanRank[0].low, 5.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(meanRank[0].high, 5.0 / 3, accuracy: 1e-12)
    }

    func testTiedMeansShareARank() {
        let rows = (0..<3).flatMap { s in [("a", 1.0), ("b", 1.0), ("c", 0.5)].map { ScoreRow(explainer: $0.0, metric: "m", variant: "", sample: s, label: 0, value: Float($0.1), status: "ok") } }
        let summary = Summary.rows(ScoreTable(rows: rows, higherIsBetter: ["m": true]), perClass: [], seed: 0).filter { $0.metric == "m" }
        XCTAssertEqual(summary.map(\.rank), [1, 1, 3])
    }

    func testPairwiseWilcoxonWithHolm() {
        let rows = Pairwise.rows(table()).filter { $0.metric == "m2" }
        XCTAssertEqual(rows.map { "\($0.a)-\($0.b)" }, ["a-b", "a-c", "b-c"])
        // 8 pairs, all differences of one sign, no ties: exact p = 2/2⁸; Holm ×3, ×2, ×1 then monotone.
        for r in rows {
            XCTAssertEqual(r.n, 8)
            XCTAssertEqual(r.statistic, 0)
            XCTAssertEqual(r.p, 2.0 / 256, accuracy: 1e-12)
            XCTAssertEqual(r.pHolm, 3 * 2.0 / 256, accuracy: 1e-12)
        }
        XCTAssertEqual(rows.map(\.better), ["a", "a", "b"])                      // lower is better on m2
        XCTAssertEqual(rows[0].meanDifference, -0.4 - 3.5e-4, accuracy: 1e-6)
    }

    func testReliabilityAlphaAndMetricAgreement() {
        let rows = Reliability.rows(table())
        let alpha = rows.filter { $0.kind == "inter_rater" }
        XCTAssertEqual(alpha.map(\.metric), ["m1", "m2", "m3"])
        for r in alpha { XCTAssertEqual(r.value, 1, accuracy: 1e-12, r.metric) }   // every sample ranks a, b, c alike
        let agreement = rows.filter { $0.kind == "inter_method" }
        XCTAssertEqual(agreement.map { "\($0.metric)-\($0.otherMetric)" }, ["m1-m2", "m1-m3", "m2-m3"])
        XCTAssertEqual(agreement.map(\.value), [1, -1, -1])
        XCTAssertEqual(agreement[0].n, 8)
        // Samples that disagree: α falls below 0.
        var rows2: [ScoreRow] = []
        for s in 0..<6 { for (k, e) in ["a", "b"].enumerated() { rows2.append(ScoreRow(explainer: e, metric: "m", variant: "", sample: s, label: 0, value: Float((s + k) % 2), status: "ok")) } }
        let r2 = Reliability.rows(ScoreTable(rows: rows2, higherIsBetter: ["m": true]))
        XCTAssertLessThan(r2[0].value, 0)
    }
}
