import Foundation
import XCTest
import ProbityCore
import ProbityEngine
import ProbityExplainers
import ProbityONNX
@testable import ProbityMetrics

/// Deletion and insertion against closed forms on a linear model, where every frame's logit
/// is the bias plus the contributions w_i·x_i of the pixels present.
final class DeletionInsertionTests: XCTestCase {
    func linearModel(w: [Float], b: [Float]) throws -> GraphModel { try LinearModel.make(w: w, b: b, height: 2, width: 2) }

    func testCurvesAndAUCMatchTheClosedForm() throws {
        let w: [Float] = [1, 2, -3, 0.5, /* class 1 */ 0.2, -1, 1, 2], b: [Float] = [0.25, -0.5]
        let model = try linearModel(w: w, b: b)
        let x = Tensor(shape: [1, 1, 2, 2], storage: [2, -1, 0.5, 4])
        let map = Tensor(shape: [1, 2, 2], storage: [0.5, 2, -1, 0.1])   // order: 1, 0, 3, 2
        let input = MetricInput(x: x, maps: map, targets: [0], preprocessing: .unit(channels: 1))
        let c = (0..<4).map { w[$0] * x.storage[$0] }                  // contributions to logit 0: [2, −2, −1.5, 2]
        let full = c.reduce(0, +) + b[0]
        let deletion: [Float] = [full, full - c[1], full - c[1] - c[0], full - c[1] - c[0] - c[3], b[0]]
        let insertion: [Float] = [b[0], b[0] + c[1], b[0] + c[1] + c[0], b[0] + c[1] + c[0] + c[3], full]
        let auc = { (v: [Float]) in (v.reduce(0, +) - v.first! / 2 - v.last! / 2) / Float(v.count - 1) }
        let d = try Deletion(["step": "1", "score": "logit"]).evaluate(input, model: model)
        for (a, e) in zip(d.curves![0], deletion) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        XCTAssertEqual(d.scores[0], auc(deletion), accuracy: 1e-5)
        XCTAssertEqual(d.status, ["ok"])
        let i = try Insertion(["step": "1", "score": "logit", "substrate": "zero"]).evaluate(input, model: model)
        for (a, e) in zip(i.curves![0], insertion) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        XCTAssertEqual(i.scores[0], auc(insertion), accuracy: 1e-5)
        // Step 3 on 4 pixels: 2 steps, frames after 0, 3 and 4 pixels.
        let d3 = try Deletion(["step": "3", "score": "logit"]).evaluate(input, model: model)
        XCTAssertEqual(d3.curves![0].count, 3)
        XCTAssertEqual(d3.curves![0][1], deletion[3], accuracy: 1e-5)
        XCTAssertEqual(d3.scores[0], (deletion[0] / 2 + deletion[3] + deletion[4] / 2) / 2, accuracy: 1e-5)
        // Probability score: softmax of the two logits at each frame.
        let p = try Deletion(["step": "1"]).evaluate(input, model: model)
        let other = { (present: [Int]) in present.reduce(b[1]) { $0 + w[4 + $1] * x.storage[$1] } }
        let remaining: [[Int]] = [[0, 1, 2, 3], [0, 2, 3], [2, 3], [2], []]
        for (f, kept) in remaining.enumerated() {
            let l0 = deletion[f], l1 = other(kept)
            XCTAssertEqual(p.curves![0][f], 1 / (1 + exp(l1 - l0)), accuracy: 1e-5, "frame \(f)")
        }
        // `abs` ranks by magnitude: order 1, 2, 0, 3.
        let a = try Deletion(["step": "1", "score": "logit", "sign": "abs"]).evaluate(input, model: model)
        XCTAssertEqual(a.curves![0][2], full - c[1] - c[2], accuracy: 1e-5)
    }

    func testTiesAreBrokenByPixelIndexAndConstantMapsAreMarked() throws {
        XCTAssertEqual(PixelCurve.order([1, 3, 3, 1, 2]), [1, 2, 4, 0, 3])
        let model = try linearModel(w: [1, 1, 1, 1, 0, 0, 0, 0], b: [0, 0])
        let input = MetricInput(x: Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4]), maps: Tensor(shape: [1, 2, 2], storage: [0, 0, 0, 0]),
                                targets: [0], preprocessing: .unit(channels: 1))
        let r = try Deletion(["step": "1", "score": "logit"]).evaluate(input, model: model)
        XCTAssertEqual(r.curves![0], [10, 9, 7, 4, 0])
        XCTAssertEqual(r.status, ["constant"])
        XCTAssertThrowsError(try Deletion(["stepp": "1"])) { XCTAssert("\($0)".contains("step (default auto)")) }
    }

    /// Issue 14: insertion with the default `blur` substrate against the RISE reference code's
    /// `CausalMetric('ins', substrate_fn=blur)` (`Tests/Fixtures/statistics.json`,
    /// `rise_insertion`): gkern(11, 5) by conv2d with zero padding, step = width, softmax
    /// probability of the top-1 class, AUC 0.80704 on a 16 × 16 linear model. The old sampled
    /// Gaussian with reflected borders (`blur_sampled`) scores it differently.
    func testInsertionMatchesTheRISEReferenceCode() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/statistics.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let r = json["rise_insertion"] as! [String: Any]
        let (h, w) = (16, 16)
        let weights = (0..<(2 * h * w)).map { Float(sin(0.37 * Double($0) + 0.5) * 0.5) }
        let model = try LinearModel.make(w: weights, b: [0.1, -0.2], height: h, width: w)
        let x = Tensor(shape: [1, 1, h, w], storage: (0..<(h * w)).map { Float(cos(0.23 * Double($0)) * 2) })
        let map = Tensor(shape: [1, h, w], storage: (r["map"] as! [NSNumber]).map(\.floatValue))
        let input = MetricInput(x: x, maps: map, targets: [(r["target"] as! NSNumber).intValue], preprocessing: .unit(channels: 1))
        let ours = try Insertion().evaluate(input, model: model)
        let curve = (r["curve"] as! [NSNumber]).map(\.floatValue)
        XCTAssertEqual(ours.curves![0].count, curve.count)
        for (a, e) in zip(ours.curves![0], curve) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        XCTAssertEqual(Double(ours.scores[0]), (r["auc"] as! NSNumber).doubleValue, accuracy: 1e-5)
        let sampled = try Insertion(["substrate": "blur_sampled"]).evaluate(input, model: model)
        XCTAssertGreaterThan(abs(Double(sampled.scores[0]) - (r["auc"] as! NSNumber).doubleValue), 1e-3)
        print("insertion AUC: RISE blur \(ours.scores[0]), sampled blur \(sampled.scores[0])")
    }
}
