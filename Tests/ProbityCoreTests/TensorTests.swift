import XCTest
@testable import ProbityCore

final class TensorTests: XCTestCase {
    func testShapeStridesAndIndexing() {
        var t = Tensor(shape: [2, 3, 4])
        XCTAssertEqual(t.strides, [12, 4, 1])
        t[1, 2, 3] = 5
        XCTAssertEqual(t.storage[23], 5)
        XCTAssertEqual(t.reshaped(to: [-1, 4]).shape, [6, 4])
    }

    func testBatchSliceAndConcatenate() {
        let t = Tensor(shape: [4, 2], storage: (0..<8).map(Float.init))
        XCTAssertEqual(t.slice(batch: 1..<3).storage, [2, 3, 4, 5])
        let joined = Tensor.concatenate(batch: [t.slice(batch: 0..<1), t.slice(batch: 1..<4)])
        XCTAssertEqual(joined, t)
        var u = t
        u.replace(batch: 2, with: Tensor(shape: [1, 2], storage: [9, 9]))
        XCTAssertEqual(u.storage, [0, 1, 2, 3, 9, 9, 6, 7])
    }

    func testPermutedMatchesIndexFormula() {
        let t = Tensor(shape: [2, 3, 4], storage: (0..<24).map(Float.init))
        let p = t.permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { XCTAssertEqual(p[c, a, b], t[a, b, c]) } } }
    }

    func testSoftmaxAndArgmax() {
        let t = Tensor(shape: [2, 3], storage: [1, 2, 3, 1000, 0, -1000])
        let s = t.softmaxLastAxis()
        // exp(1)/(e^1+e^2+e^3) computed by hand: 0.09003057
        XCTAssertEqual(s[0, 0], 0.09003057, accuracy: 1e-7)
        XCTAssertEqual(s[1, 0], 1, accuracy: 1e-7)
        XCTAssertEqual(t.argmaxRows(), [2, 0])
    }

    /// sgemm against a naive triple loop in Double, for all four transpose combinations
    /// and shapes that are not multiples of any block size.
    func testMatmulMatchesNaiveLoop() {
        var rng = RNG(seed: 1)
        for (m, k, n) in [(1, 1, 1), (7, 13, 5), (33, 17, 65), (64, 128, 3)] {
            for ta in [false, true] { for tb in [false, true] {
                let a = rng.normalTensor(shape: ta ? [k, m] : [m, k])
                let b = rng.normalTensor(shape: tb ? [n, k] : [k, n])
                let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                XCTAssertEqual(c.shape, [m, n])
                for i in 0..<m { for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k {
                        acc += Double(ta ? a[p, i] : a[i, p]) * Double(tb ? b[j, p] : b[p, j])
                    }
                    XCTAssertEqual(Double(c[i, j]), acc, accuracy: 1e-4 * max(1, abs(acc)), "m\(m) k\(k) n\(n) ta\(ta) tb\(tb)")
                } }
            } }
        }
    }

    func testRNGIsStableAcrossRunsAndStreamsDiffer() {
        var a = RNG(seed: 42)
        // xoshiro256** seeded by SplitMix64(42): first outputs fixed forever (a change here
        // changes every seeded result Probity has ever produced).
        // Reference: the algorithm's published C code, transcribed to Python and run once.
        XCTAssertEqual((0..<3).map { _ in a.next() }, [1546998764402558742, 6990951692964543102, 12544586762248559009])
        var s1 = RNG(seed: 7, stream: ["rise", 3]), s2 = RNG(seed: 7, stream: ["rise", 4])
        XCTAssertNotEqual(s1.next(), s2.next())
        var s3 = RNG(seed: 7, stream: ["rise", 3]), s4 = RNG(seed: 7, stream: ["rise", 3])
        XCTAssertEqual(s3.next(), s4.next())
    }

    func testRNGDistributionMoments() {
        var rng = RNG(seed: 3)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = rng.uniform(); XCTAssert(u >= 0 && u < 1)
            su += Double(u)
            let z = Double(rng.normal()); sn += z; sn2 += z * z
        }
        XCTAssertEqual(su / Double(n), 0.5, accuracy: 0.005)
        XCTAssertEqual(sn / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sn2 / Double(n), 1, accuracy: 0.02)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.int(below: 7)] += 1 }
        XCTAssert(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
    }
}
