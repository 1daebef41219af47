import Foundation
import XCTest
@testable import ProbityMetrics

/// Statistics and map similarities against SciPy, scikit-image and the `krippendorff` package
/// (`Tests/Fixtures/statistics.json`, made by `Tests/Fixtures/recipes/make_statistics_fixture.py`).
final class StatisticsTests: XCTestCase {
    nonisolated(unsafe) static let fixture: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/statistics.json")
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    func cases(_ name: String) -> [[String: Any]] { Self.fixture[name] as! [[String: Any]] }
    func doubles(_ v: Any?) -> [Double] { (v as! [NSNumber]).map(\.doubleValue) }

    func testSpearmanPearsonAndRanksMatchSciPy() {
        for c in cases("correlation") {
            let a = doubles(c["a"]), b = doubles(c["b"])
            XCTAssertEqual(Correlation.spearman(a, b), c["spearman"] as! Double, accuracy: 1e-12)
            XCTAssertEqual(Correlation.pearson(a, b), c["pearson"] as! Double, accuracy: 1e-12)
            XCTAssertEqual(Correlation.ranks(a), doubles(c["ranks_a"]))
        }
        XCTAssertTrue(Correlation.pearson([1, 1, 1], [1, 2, 3] as [Double]).isNaN)
    }

    func testSSIMMatchesScikitImage() {
        for c in cases("ssim") {
            let (h, w) = (c["height"] as! Int, c["width"] as! Int)
            XCTAssertEqual(SSIM.index(doubles(c["a"]), doubles(c["b"]), height: h, width: w, dataRange: 1), c["ssim"] as! Double, accuracy: 1e-12)
        }
        let a = (0..<100).map { Double($0 % 7) / 7 }
        XCTAssertEqual(SSIM.index(a, a, height: 10, width: 10, dataRange: 1), 1, accuracy: 1e-12)
    }

    func testHOGMatchesScikitImage() {
        for c in cases("hog") {
            let (h, w) = (c["height"] as! Int, c["width"] as! Int)
            let expected = doubles(c["hog"])
            let got = HOG.features(doubles(c["image"]), height: h, width: w)
            XCTAssertEqual(got.count, expected.count)
            // 3e-8 apart, as the README says: the residual comes from scikit-image's compiled cell routine.
            XCTAssertLessThanOrEqual(zip(got, expected).map { abs($0 - $1) }.max()!, 3e-8)
        }
    }

    func testWilcoxonMatchesSciPy() {
        for c in cases("wilcoxon") {
            let r = Wilcoxon.test(doubles(c["a"]), doubles(c["b"]))
            XCTAssertEqual(r.statistic, c["statistic"] as! Double, accuracy: 1e-9, c["kind"] as! String)
            XCTAssertEqual(r.p, c["p"] as! Double, accuracy: 1e-9 * max(1, c["p"] as! Double), c["kind"] as! String)
            XCTAssertEqual(r.method, c["kind"] as! String == "exact" ? .exact : .normal)
        }
    }

    /// Issue 14: zeros and ties choose SciPy's permutation test (N ≤ 13 pairs, zeros counted) or
    /// the normal approximation, never the exact distribution; zeros 0…20 give p = 8.857e-5.
    func testWilcoxonWithZerosAndTiesMatchesSciPy() {
        for c in cases("wilcoxon_zeros_ties") {
            let r = Wilcoxon.test(doubles(c["a"]), doubles(c["b"]))
            let kind = c["kind"] as! String
            XCTAssertEqual(r.statistic, c["statistic"] as! Double, accuracy: 1e-9, kind)
            XCTAssertEqual(r.p, c["p"] as! Double, accuracy: 1e-9 * max(1e-3, c["p"] as! Double), kind)
            XCTAssertEqual(r.method.rawValue, c["method"] as! String, kind)
        }
        XCTAssertEqual(Wilcoxon.test((0...20).map(Double.init), [Double](repeating: 0, count: 21)).p, 8.857457687863547e-05, accuracy: 1e-15)
    }

    /// Issue 14: Quantus' `ssim` (RandomLogit's default) on flattened maps, from quantus 0.6.0's
    /// own function (0.0185125 and 0.172752 for the two cases).
    func testQuantusSSIMMatchesQuantus() {
        for c in cases("ssim_quantus") {
            XCTAssertEqual(SSIM.quantus(doubles(c["a"]).map(Float.init), doubles(c["b"]).map(Float.init)), c["ssim"] as! Double, accuracy: 1e-6)
        }
    }

    func testHolmByHand() {
        // p sorted 0.01, 0.02, 0.03, 0.5 → ×4, ×3, ×2, ×1 = 0.04, 0.06, 0.06, 0.5 (monotone).
        XCTAssertEqual(Holm.adjust([0.03, 0.5, 0.01, 0.02]).map { ($0 * 1e9).rounded() / 1e9 }, [0.06, 0.5, 0.04, 0.06])
        XCTAssertEqual(Holm.adjust([0.4, 0.3]), [0.6, 0.6])
    }

    func testKrippendorffMatchesThePackage() {
        for c in cases("krippendorff") {
            let data = (c["data"] as! [[Any]]).map { $0.map { ($0 as? NSNumber)?.doubleValue } }
            XCTAssertEqual(Krippendorff.alpha(data, level: .ordinal), c["ordinal"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(Krippendorff.alpha(data, level: .interval), c["interval"] as! Double, accuracy: 1e-9)
        }
        // Perfect agreement.
        XCTAssertEqual(Krippendorff.alpha([[1, 2, 3], [1, 2, 3]], level: .ordinal), 1, accuracy: 1e-12)
    }

    func testROCAUCMatchesMannWhitney() {
        let c = Self.fixture["auc"] as! [String: Any]
        let auc = MaskROCAUC.auc(scores: doubles(c["scores"]).map(Float.init), positive: (c["labels"] as! [Bool]))
        XCTAssertEqual(auc, c["auc"] as! Double, accuracy: 1e-12)
    }
}
