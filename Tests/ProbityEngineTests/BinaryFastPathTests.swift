import XCTest
import ProbityCore
@testable import ProbityEngine

/// Add, Sub, Mul and Div take fast paths for the broadcasts a transformer brings (a bias over
/// tokens' channels, a position embedding over the batch, a scalar scale) and split large
/// outputs over threads. Their forward and backward must give the very bits of the general
/// index-map loop, written out here element by element, at one and at two threads.
final class BinaryFastPathTests: XCTestCase {
    /// The general loop: y[i] = a[mapA[i]] ∘ b[mapB[i]], gradients accumulated in element order.
    func reference(_ kind: Binary.Kind, _ a: Tensor, _ b: Tensor, dy: Tensor) -> (y: [Float], ga: [Float], gb: [Float]) {
        let out = dy.shape
        let ma = IndexMaps.broadcast(a.shape, to: out), mb = IndexMaps.broadcast(b.shape, to: out)
        var y = [Float](repeating: 0, count: dy.count), ga = [Float](repeating: 0, count: a.count), gb = [Float](repeating: 0, count: b.count)
        for i in 0..<dy.count {
            let x = a.storage[ma[i]], z = b.storage[mb[i]], g = dy.storage[i]
            switch kind {
            case .add: y[i] = x + z; ga[ma[i]] += g; gb[mb[i]] += g
            case .sub: y[i] = x - z; ga[ma[i]] += g; gb[mb[i]] -= g
            case .mul: y[i] = x * z; ga[ma[i]] += g * z; gb[mb[i]] += g * x
            case .div: y[i] = x / z; ga[ma[i]] += g / z; gb[mb[i]] -= g * x / (z * z)
            default: XCTFail("not an arithmetic kind")
            }
        }
        return (y, ga, gb)
    }

    func testBroadcastFastPathsGiveTheGeneralLoopsBits() throws {
        let full = [8, 65, 64]   // 33,280 elements: above the size where work is split over threads
        let patterns: [([Int], [Int], String)] = [
            (full, full, "equal shapes"), (full, [64], "bias over channels"), ([64], full, "bias first"),
            (full, [1, 65, 64], "position embedding"), ([65, 64], full, "embedding first"), (full, [1], "scalar"), ([], full, "scalar first"),
        ]
        var rng = RNG(seed: 11)
        for (sa, sb, label) in patterns {
            var a = rng.normalTensor(shape: sa), b = rng.normalTensor(shape: sb)
            // Divisors away from zero.
            b.storage = b.storage.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 }
            a.storage = a.storage.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 }
            let dy = rng.normalTensor(shape: full)
            for kind in [Binary.Kind.add, .sub, .mul, .div] {
                let want = reference(kind, a, b, dy: dy)
                for threads in [1, 2] {
                    let context = ExecutionContext(threads: threads)
                    let op = Binary(kind).planned(for: [sa, sb])
                    let y = GradientCheck.forward(op, [a, b], outShape: full, context: context)
                    let grads = GradientCheck.analytic(op, [a, b], dy: dy, context: context)
                    XCTAssertEqual(y.storage, want.y, "\(kind) \(label), \(threads) threads: forward")
                    XCTAssertEqual(grads[0].storage, want.ga, "\(kind) \(label), \(threads) threads: ∂a")
                    XCTAssertEqual(grads[1].storage, want.gb, "\(kind) \(label), \(threads) threads: ∂b")
                }
            }
        }
    }

    func testTrailingPeriod() {
        XCTAssertEqual(Binary.trailing([64], of: [8, 65, 64]), 64)
        XCTAssertEqual(Binary.trailing([1, 65, 64], of: [8, 65, 64]), 65 * 64)
        XCTAssertEqual(Binary.trailing([1, 1, 64], of: [8, 65, 64]), 64)
        XCTAssertNil(Binary.trailing([65, 1], of: [8, 65, 64]))        // not trailing: through the maps
        XCTAssertNil(Binary.trailing([8, 65, 64], of: [8, 65, 64]))    // the same shape
        XCTAssertNil(Binary.trailing([1], of: [8, 65, 64]))            // a single value has its own path
    }
}
