import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityONNX
import ProbityData
@testable import ProbityExplainers

/// LIME and KernelSHAP against closed forms on a model that is linear in superpixel space.
final class SurrogateTests: XCTestCase {
    /// The linear model's logit t as a function of 3×3 grid cells of a 12×12 image: each
    /// cell contributes c_k = Σ_{channels, pixels in cell} w·x, hidden cells contribute 0
    /// (baseline zero), so Shapley values are exactly c_k.
    func cellContributions(_ w: Tensor, _ x: Tensor, target t: Int) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for ch in 0..<3 { for y in 0..<12 { for xx in 0..<12 {
            c[(y / 4) * 3 + xx / 4] += Double(w[t, ch * 144 + y * 12 + xx]) * Double(x.storage[ch * 144 + y * 12 + xx])
        } } }
        return c
    }

    func testKernelSHAPIsExactOnAnAdditiveModel() throws {
        let (model, w, _) = try TestModels.linear(channels: 3, size: 12, classes: 2, seed: 21)
        var rng = RNG(seed: 22)
        let x = rng.normalTensor(shape: [1, 3, 12, 12])
        let shap = try KernelSHAP(["segmentation": "grid", "cells": "3", "background": "zero"])
        let r = try shap.explain(ExplainBatch(x: x, targets: [1], preprocessing: TestModels.unit), model: model)
        let want = cellContributions(w, x, target: 1)
        for y in 0..<12 { for xx in 0..<12 {
            XCTAssertEqual(Double(r.maps.storage[y * 12 + xx]), want[(y / 4) * 3 + xx / 4], accuracy: 1e-3)
        } }
        XCTAssertEqual(r.diagnostics["efficiency_gap"]![0], 0, accuracy: 1e-3)
        // With fewer samples than subsets, sampling still recovers an additive model exactly.
        let sampled = try KernelSHAP(["segmentation": "grid", "cells": "3", "background": "zero", "samples": "120"])
            .explain(ExplainBatch(x: x, targets: [1], preprocessing: TestModels.unit), model: model)
        for k in 0..<9 { XCTAssertEqual(Double(sampled.maps.storage[(k / 3) * 48 + (k % 3) * 4]), want[k], accuracy: 1e-3) }
    }

    func testShapleyKernelCoalitions() {
        var rng = RNG(seed: 1)
        // M = 4: all 14 proper subsets fit the budget; weights ∝ (M−1)/(C(M,s)·s·(M−s)).
        let (rows, weights) = KernelSHAP.coalitions(features: 4, budget: 100, rng: &rng)
        XCTAssertEqual(rows.count, 14)
        let single: [UInt8] = [1, 0, 0, 0], pair: [UInt8] = [1, 1, 0, 0]
        let one = weights[rows.firstIndex(of: single)!], two = weights[rows.firstIndex(of: pair)!]
        let expected: Double = (3.0 / 12.0) / (3.0 / 24.0)
        XCTAssertEqual(one / two, expected, accuracy: 1e-12)
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-12)
    }

    func testLIMERecoversTheRankingOfALinearModel() throws {
        let (model, w, _) = try TestModels.linear(channels: 3, size: 12, classes: 2, seed: 23)
        var rng = RNG(seed: 24)
        let x = rng.normalTensor(shape: [1, 3, 12, 12])
        let batch = ExplainBatch(x: x, targets: [0], preprocessing: TestModels.unit)
        let want = cellContributions(w, x, target: 0)
        let order = { (v: [Double]) in v.indices.sorted { v[$0] < v[$1] } }
        // α = 0 is weighted least squares: exact on a model linear in the coalitions.
        let (_, exact) = try LIME(["segmentation": "grid", "cells": "3", "hide": "zero", "output": "logit", "alpha": "0"]).fit(batch, sample: 0, model: model)
        for k in 0..<9 { XCTAssertEqual(exact[k], want[k], accuracy: 1e-3 * max(1, abs(want[k]))) }
        // The default ridge (α = 1) shrinks the coefficients but keeps their ranking.
        let lime = try LIME(["segmentation": "grid", "cells": "3", "hide": "zero", "output": "logit"])
        let (_, ridge) = try lime.fit(batch, sample: 0, model: model)
        XCTAssertEqual(order(ridge), order(want))
        // Top-3 by the lasso path: the three largest |c_k|.
        let (_, top) = try LIME(["segmentation": "grid", "cells": "3", "hide": "zero", "output": "logit", "features": "3"]).fit(batch, sample: 0, model: model)
        XCTAssertEqual(Set(top.indices.filter { top[$0] != 0 }), Set(want.indices.sorted { abs(want[$0]) > abs(want[$1]) }.prefix(3)))
        XCTAssertEqual(try lime.explain(batch, model: model).maps.shape, [1, 12, 12])
    }

    /// imageLIME's surrogates on the model linear in the cells: the lasso with λ = 0 is the
    /// weighted least squares fit (the cells' exact contributions); the tree's importance is 0 or
    /// more, largest for the cell of largest |contribution| (the root split lowers the risk by
    /// about c²/4 · weight), and ranks the cells as c² does; its perturbations are the ridge's
    /// (the surrogate does not change the random stream).
    func testImageLIMESurrogatesOnALinearModel() throws {
        let (model, w, _) = try TestModels.linear(channels: 3, size: 12, classes: 2, seed: 23)
        var rng = RNG(seed: 24)
        let x = rng.normalTensor(shape: [1, 3, 12, 12])
        let batch = ExplainBatch(x: x, targets: [0], preprocessing: TestModels.unit)
        let want = cellContributions(w, x, target: 0)
        let base = ["segmentation": "grid", "cells": "3", "hide": "zero", "output": "logit"]
        let (_, lasso) = try LIME(base.merging(["surrogate": "lasso", "lambda": "0"]) { $1 }).fit(batch, sample: 0, model: model)
        for k in 0..<9 { XCTAssertEqual(lasso[k], want[k], accuracy: 1e-3 * max(1, abs(want[k]))) }
        let tree = try LIME(base.merging(["surrogate": "tree", "samples": "2000"]) { $1 })
        let (_, importance) = try tree.fit(batch, sample: 0, model: model)
        XCTAssert(importance.allSatisfy { $0 >= 0 })
        XCTAssertEqual(importance.indices.max { importance[$0] < importance[$1] }, want.indices.max { abs(want[$0]) < abs(want[$1]) })
        let rank = { (v: [Double]) -> [Double] in
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            for (i, k) in order.enumerated() { r[k] = Double(i) }
            return r
        }
        let (a, b) = (rank(importance), rank(want.map { $0 * $0 }))
        let d2 = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        XCTAssertGreaterThan(1 - 6 * d2 / (9 * 80), 0.9, "Spearman of tree importance and c²")
        let p1 = try tree.perturb(batch, sample: 0, model: model), p2 = try LIME(base.merging(["samples": "2000"]) { $1 }).perturb(batch, sample: 0, model: model)
        XCTAssertEqual(p1.coalitions, p2.coalitions)
        XCTAssertThrowsError(try LIME(["surrogate": "tree", "features": "3"]))
        XCTAssertThrowsError(try LIME(["surrogate": "lasso", "lambda": "-1"]))
    }

    func testLabConversionAndQuickshiftSegments() {
        // scikit-image rgb2lab: red (53.24, 80.09, 67.20), white (100, 0, 0).
        let lab = Segmentation.lab([255, 255, 0, 255, 0, 255], height: 1, width: 2, channels: 3)
        XCTAssertEqual(lab[0][0], 53.24, accuracy: 0.01); XCTAssertEqual(lab[0][1], 80.09, accuracy: 0.01); XCTAssertEqual(lab[0][2], 67.20, accuracy: 0.01)
        XCTAssertEqual(lab[1][0], 100, accuracy: 0.01); XCTAssertEqual(lab[1][1], 0, accuracy: 0.01)
        // Two flat halves of very different color: no segment crosses the boundary.
        var rgb = [Float](repeating: 0, count: 3 * 20 * 20)
        for y in 0..<20 { for x in 0..<20 { for c in 0..<3 { rgb[c * 400 + y * 20 + x] = x < 10 ? [200, 30, 30][c] : [20, 40, 220][c] } } }
        for seg in [Segmentation.quickshift(rgb, height: 20, width: 20, channels: 3, maxDistance: 10), Segmentation.slic(rgb, height: 20, width: 20, channels: 3, segments: 8)] {
            XCTAssertGreaterThanOrEqual(seg.count, 2)
            for y in 0..<20 {
                let left = Set((0..<10).map { seg.labels[y * 20 + $0] }), right = Set((10..<20).map { seg.labels[y * 20 + $0] })
                XCTAssert(left.isDisjoint(with: right), "row \(y)")
            }
        }
        let grid = Segmentation.grid(height: 12, width: 12, cells: 3)
        XCTAssertEqual(grid.count, 9)
        XCTAssertEqual(grid.labels[5 * 12 + 9], 5)
    }
}

/// Quickshift against scikit-image's on three photos (fixture and recipe in `Tests/Fixtures`):
/// identical partitions (the same segments up to their labels), as the README says.
final class QuickshiftTests: XCTestCase {
    func testQuickshiftMatchesScikitImage() throws {
        let photos = try ProbityData.Dataset(path: CaptumParityTests.path("datasets/photos.h5"))
        let reference = try HDF5File(path: CaptumParityTests.path("Tests/Fixtures/quickshift_photos.h5")).read("/labels", as: Int32.self)
        let plane = 224 * 224
        for s in 0..<3 {
            let pixels = try photos.pixels(s..<(s + 1))
            var rgb = [Float](repeating: 0, count: 3 * plane)
            for i in 0..<plane { for c in 0..<3 { rgb[c * plane + i] = Float(pixels[i * 3 + c]) } }
            let ours = Segmentation.quickshift(rgb, height: 224, width: 224, channels: 3)
            let theirs = reference[(s * plane)..<((s + 1) * plane)].map(Int.init)
            let count = Set(theirs).count
            XCTAssertEqual(ours.count, count, "photo \(s): segments")
            var table: [Int: [Int: Int]] = [:]
            for i in 0..<plane { table[ours.labels[i], default: [:]][theirs[i], default: 0] += 1 }
            let agree = table.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
            print("quickshift photo \(s): \(ours.count) segments (scikit-image \(count)), agreement \(Double(agree) / Double(plane))")
            // Identical partitions: every segment of ours lies inside one of scikit-image's, and the
            // counts are equal, so the map between labels is one to one.
            XCTAssertEqual(agree, plane, "photo \(s): pixels outside their segment's scikit-image segment")
        }
    }
}

final class FillOptionTests: XCTestCase {
    func testFillOptionsAreChecked() {
        XCTAssertNoThrow(try LIME(["hide": "blur"]))
        XCTAssertNoThrow(try KernelSHAP(["background": "superpixel_mean"]))
        XCTAssertThrowsError(try LIME(["hide": "gray"])) { XCTAssert("\($0)".contains("hide must be superpixel_mean or a baseline")) }
        XCTAssertThrowsError(try KernelSHAP(["background": "gray"])) { XCTAssert("\($0)".contains("kernel_shap: background must be")) }
    }
}

/// Issue 14: KernelSHAP's regression against shap 0.51.0's own `KernelExplainer.solve` on a
/// fixed set of 60 coalitions of 8 features (`Tests/Fixtures/statistics.json`,
/// `kernel_shap_solve`): all features (φ₀ = 2.4572), shap's default kind of selection
/// `num_features(3)` (LAR keeps features 0, 4, 6: φ = 2.0936, 0.3289, 0.2475, the rest 0), and
/// its `aic` and `bic` (`LassoLarsIC`); and a noisier 10-feature problem where AIC keeps all
/// features and BIC drops feature 9.
final class KernelSHAPSolveTests: XCTestCase {
    func testSolveMatchesShap() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/statistics.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for name in ["kernel_shap_solve", "kernel_shap_solve_noisy"] {
            let c = json[name] as! [String: Any]
            let rows = (c["rows"] as! [[NSNumber]]).map { $0.map { UInt8($0.intValue) } }
            let m = rows[0].count
            let weights = (c["weights"] as! [NSNumber]).map(\.doubleValue), values = (c["values"] as! [NSNumber]).map(\.doubleValue)
            let fx = (c["fx"] as! NSNumber).doubleValue, f0 = (c["f0"] as! NSNumber).doubleValue
            for case_ in c["cases"] as! [[String: Any]] {
                let l1 = case_["l1_reg"] as! String
                let want = (case_["phi"] as! [NSNumber]).map(\.doubleValue)
                let phi = KernelSHAP.solve(rows: rows, weights: weights, values: values, fx: fx, f0: f0,
                                           select: try KernelSHAP.selection(l1, features: m, evaluated: rows.count))
                for j in 0..<m { XCTAssertEqual(phi[j], want[j], accuracy: 1e-9, "\(name) \(l1) φ\(j)") }
            }
        }
        XCTAssertThrowsError(try KernelSHAP(["l1_reg": "lasso"]))
        // shap's `auto`: AIC when under 20 % of the 2^8 − 2 = 254 coalitions were evaluated.
        XCTAssertEqual(try KernelSHAP.selection("auto", features: 8, evaluated: 50), .aic)
        XCTAssertEqual(try KernelSHAP.selection("auto", features: 8, evaluated: 51), KernelSHAP.Selection.none)
    }
}
