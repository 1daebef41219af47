import XCTest
import ProbityCore
@testable import ProbityEngine

/// The ops common models bring besides convolutions (issue: what a new user's GroupNorm, `amax`,
/// `vector_norm` and masked models export): the reductions on any axes, Pow and Mod on run-time
/// values, Where with a mixed condition. Values against closed forms, vector-Jacobian products
/// against central finite differences, and their LRP shares against conservation.
final class CommonOpTests: XCTestCase {
    let context = ExecutionContext(threads: 1)

    /// x = [[1, −2, 3], [−4, 5, −6]]: sums, extremes and norms worked out by hand.
    func testReductionValues() throws {
        let x = Tensor(shape: [2, 3], storage: [1, -2, 3, -4, 5, -6])
        func run(_ kind: Reduce.Kind, _ axes: [Int], keep: Bool = false) throws -> Tensor {
            let op = Reduce(kind, axes: axes, keepDims: keep)
            return GradientCheck.forward(op, [x], outShape: try op.outputShape([[2, 3]]), context: context)
        }
        XCTAssertEqual(try run(.sum, [1]).storage, [2, -5])
        XCTAssertEqual(try run(.sum, [0], keep: true).shape, [1, 3])
        XCTAssertEqual(try run(.sum, [0]).storage, [-3, 3, -3])
        XCTAssertEqual(try run(.mean, []).storage, [-0.5])
        XCTAssertEqual(try run(.max, [1]).storage, [3, 5])
        XCTAssertEqual(try run(.max, [-2]).storage, [1, 5, 3])
        XCTAssertEqual(try run(.min, [0, 1]).storage, [-6])
        XCTAssertEqual(try run(.l1, [1]).storage, [6, 15])
        XCTAssertEqual(try run(.sumSquare, [1]).storage, [14, 77])
        let l2 = try run(.l2, [1])
        XCTAssertEqual(l2.storage[0], Float(14).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(l2.storage[1], Float(77).squareRoot(), accuracy: 1e-6)
        XCTAssertThrowsError(try Reduce(.sum, axes: [1, -1], keepDims: true).outputShape([[2, 3]]))
        XCTAssertThrowsError(try Reduce(.max, axes: [1], keepDims: true).outputShape([[2, 0]]))
    }

    /// Every reduction over middle, trailing, leading and all axes (max/min on distinct values,
    /// away from ties, where they are differentiable).
    func testReductionGradients() throws {
        var rng = RNG(seed: 41)
        var x = rng.normalTensor(shape: [2, 3, 4, 5], std: 1)
        for i in 0..<x.count { x.storage[i] += Float(i) * 1e-2 * (i % 2 == 0 ? 1 : -1) }   // distinct values
        for i in 0..<x.count where abs(x.storage[i]) < 0.05 { x.storage[i] += 0.1 }   // away from |x|'s kink
        let kinds: [Reduce.Kind] = [.mean, .sum, .max, .min, .l1, .l2, .sumSquare]
        for kind in kinds {
            for (axes, keep) in [([1], true), ([2, 3], false), ([-1], true), ([0, 2], false), ([Int](), false)] {
                try GradientCheck.check(Reduce(kind, axes: axes, keepDims: keep), [x], step: 1e-3, tolerance: 5e-3, "\(kind) over \(axes)")
            }
        }
    }

    /// Under LRP the relevance entering each group leaves it whole (sum, mean, L1, L2 with
    /// positive groups; max/min give it to the extreme element).
    func testReductionRelevanceIsConserved() {
        var rng = RNG(seed: 42)
        var x = rng.normalTensor(shape: [3, 6], std: 1)
        for i in 0..<x.count { x.storage[i] = abs(x.storage[i]) + 0.1 }
        let relevance = Tensor(shape: [3], storage: [1, -2, 0.5])
        let rule = NodeRule(activation: .gradient, linear: .epsilon(0), lrp: true, stabilizer: 1e-9)
        for kind: Reduce.Kind in [.mean, .sum, .max, .min, .l1, .l2, .sumSquare] {
            let r = GradientCheck.analytic(Reduce(kind, axes: [1], keepDims: false), [x], dy: relevance, rule: rule, context: context)[0]
            for row in 0..<3 {
                let total = (0..<6).reduce(Float(0)) { $0 + r.storage[row * 6 + $1] }
                XCTAssertEqual(total, relevance.storage[row], accuracy: 1e-5, "\(kind) row \(row)")
            }
            if kind == .max {
                let winner = (0..<6).max { x.storage[$0] < x.storage[$1] }!
                XCTAssertEqual(r.storage[winner], 1, "max: all to the largest element")
            }
        }
    }

    /// Pow with a tensor exponent, Mod (Python's sign rule) and fmod (C's): values and both VJPs.
    func testPowAndModOnRunTimeValues() throws {
        let a = Tensor(shape: [4], storage: [7, -7, 7, -7]), b = Tensor(shape: [4], storage: [3, 3, -3, -3])
        XCTAssertEqual(GradientCheck.forward(Binary(.mod), [a, b], outShape: [4], context: context).storage, [1, 2, -2, -1])
        XCTAssertEqual(GradientCheck.forward(Binary(.fmod), [a, b], outShape: [4], context: context).storage, [1, -1, 1, -1])
        let base = Tensor(shape: [2, 1], storage: [2, 3]), exponent = Tensor(shape: [3], storage: [0, 1, 2.5])
        let p = GradientCheck.forward(Binary(.pow).planned(for: [[2, 1], [3]]), [base, exponent], outShape: [2, 3], context: context).storage
        for (got, want) in zip(p, [1, 2, Foundation.pow(2, 2.5), 1, 3, Foundation.pow(3, 2.5)]) { XCTAssertEqual(Double(got), want, accuracy: 1e-5) }
        var rng = RNG(seed: 43)
        var x = rng.normalTensor(shape: [2, 3, 4], std: 1), e = rng.normalTensor(shape: [3, 1], std: 1)
        for i in 0..<x.count { x.storage[i] = abs(x.storage[i]) + 0.5 }
        try GradientCheck.check(Binary(.pow), [x, e], step: 1e-3, tolerance: 5e-3, "Pow with a broadcast exponent")
        // Mod away from the jumps of ⌊a/b⌋.
        var m = rng.normalTensor(shape: [2, 3, 4], std: 4)
        let d = Tensor(shape: [4], storage: [1.7, -2.3, 3.1, -0.9])
        for i in 0..<m.count {
            let q = m.storage[i] / d.storage[i % 4], frac = q - q.rounded(.down)
            if frac < 0.05 || frac > 0.95 { m.storage[i] += 0.3 * d.storage[i % 4] }
        }
        try GradientCheck.check(Binary(.mod), [m, d], step: 1e-3, tolerance: 5e-3, "Mod")
        try GradientCheck.check(Binary(.fmod), [m, d], step: 1e-3, tolerance: 5e-3, "fmod")
    }

    /// Where(c, x, y) with a condition mixed element by element and broadcast to x and y.
    func testWhereOnRunTimeValues() throws {
        let c = Tensor(shape: [1, 3], storage: [1, 0, 1])
        let x = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), y = Tensor(shape: [2, 1], storage: [-1, -2])
        XCTAssertEqual(GradientCheck.forward(Where(), [c, x, y], outShape: [2, 3], context: context).storage, [1, -1, 3, 4, -2, 6])
        var rng = RNG(seed: 44)
        let xs = rng.normalTensor(shape: [2, 3, 4]), ys = rng.normalTensor(shape: [3, 1])
        let mask = Tensor(shape: [3, 4], storage: (0..<12).map { Float(($0 * 7) % 3 == 0 ? 1 : 0) })
        try GradientCheck.check(Where(), [mask, xs, ys], wrt: [1, 2], step: 1e-2, "Where")
    }
}
