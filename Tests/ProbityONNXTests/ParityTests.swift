import XCTest
import ProbityCore
import ProbityData
@testable import ProbityONNX

/// EfficientNet-Lite0 against ONNX Runtime: the fixture holds ONNX Runtime's logits for the 8
/// photos (input = pixel/255·2 − 1).
final class ParityTests: XCTestCase {
    static let model = Result { try ONNXModel(path: Paths.lite0) }

    static func fixtureInput() throws -> (Tensor, Tensor) {
        let f = try HDF5File(path: Paths.lite0Fixture)
        let pixels = try f.read("/images", as: UInt8.self)
        let x = Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1]).modelInput(pixels: pixels, count: 8, height: 224, width: 224)
        let logits = Tensor(shape: [8, 1000], storage: try f.read("/logits", as: Float.self))
        return (x, logits)
    }

    func testLogitsMatchONNXRuntime() throws {
        let model = try ParityTests.model.get()
        let (x, expected) = try ParityTests.fixtureInput()
        let logits = try model.logits(x)
        XCTAssertEqual(logits.shape, [8, 1000])
        let worst = logits.maxAbsDifference(expected)
        // README: max |Δlogit| ≤ 1e-5 (measured 7.0e-6 with the Haswell kernels, 8.6e-6 before).
        XCTAssertLessThanOrEqual(worst, 1e-5, "largest logit difference to ONNX Runtime")
        XCTAssertEqual(logits.argmaxRows(), expected.argmaxRows())
        XCTAssertEqual(logits.argmaxRows(), [285, 967, 450, 657, 665, 619, 971, 652])
        print("Lite0 parity: max |Δlogit| = \(worst)")
    }

    /// A sample's logits are the same alone and inside a batch of 32, whether the batch runs
    /// on lanes (two one-thread halves, the default on 2 threads) or splits each op over the threads.
    func testBatchDoesNotChangeASample() throws {
        let model = try ParityTests.model.get()
        let ops = try ONNXModel(path: Paths.lite0, threads: 2)
        ops.maxLanes = 1
        let (x, _) = try ParityTests.fixtureInput()
        let batch = Tensor.concatenate(batch: [x, x, x, x])          // 32 samples
        let together = try model.logits(batch), split = try ops.logits(batch)
        for i in [0, 3, 7] {
            let alone = try model.logits(x.item(i))
            XCTAssertEqual(alone.storage, together.slice(batch: (i + 8)..<(i + 9)).storage, "sample \(i): bit-identical alone and in a batch of 32")
            XCTAssertEqual(alone.storage, split.slice(batch: (i + 24)..<(i + 25)).storage, "sample \(i): bit-identical alone and in a batch of 32 split over threads")
        }
    }
}

/// Backward passes of EfficientNet-Lite0 against PyTorch autograd: the fixture's
/// `input_gradients` hold d(top-1 logit)/d(input) for the 8 photos.
///
/// Why not every pixel within 1e-3 of the largest gradient: a ReLU6 unit whose
/// pre-activation lies within rounding (~1e-6) of 0 or 6 is open in one implementation and
/// closed in the other, and its whole gradient path flips. The gradient is that sensitive:
/// moving the input by ±1e-6 (below float32 resolution of the activations) changes our own
/// gradient by 1.5–9 % of its maximum on these photos, and PyTorch's own autograd on this
/// ONNX file (onnx2torch) is off the fixture by up to 1.45 % on 6 of the 8. So the test asserts what holds
/// whatever the rounding: ≥ 99.8 % of pixels within 1e-3 of the maximum (observed ≥ 99.848 %),
/// one photo within 1e-6 everywhere (absolute), a relative L2 error ≤ 0.5 % (observed 0.48 %),
/// and no pixel off by more than 3 % of the maximum (observed ≤ 1.4 %).
final class GradientParityTests: XCTestCase {
    func testInputGradientsMatchPyTorch() throws {
        let model = try ParityTests.model.get()
        let (x, expectedLogits) = try ParityTests.fixtureInput()
        let f = try HDF5File(path: Paths.lite0Fixture)
        let expected = Tensor(shape: [8, 3, 224, 224], storage: try f.read("/input_gradients", as: Float.self))
        let top1 = expectedLogits.argmaxRows()
        let (logits, grad) = try model.gradient(of: top1, wrt: x)
        XCTAssertLessThanOrEqual(logits.maxAbsDifference(expectedLogits), 1e-3, "logits of the backward plan")
        let size = 3 * 224 * 224
        var exact = 0
        for s in 0..<8 {
            let want = expected.storage[(s * size)..<((s + 1) * size)], got = grad.storage[(s * size)..<((s + 1) * size)]
            let largest = want.map(abs).max()!
            var d2 = 0.0, g2 = 0.0, off = 0
            var worst: Float = 0
            for (a, b) in zip(want, got) {
                d2 += Double((a - b) * (a - b)); g2 += Double(a * a)
                worst = max(worst, abs(a - b))
                if abs(a - b) > 1e-3 * largest { off += 1 }
            }
            let l2 = (d2 / g2).squareRoot()
            print("Lite0 gradient parity, sample \(s): max |Δ| \(worst), largest |g| \(largest), max |Δ|/max|g| \(worst / largest), relative L2 \(l2), pixels off by > 1e-3: \(off) of \(size)")
            // The README's row: ≥ 99.8 % of pixels within 1e-3 of the largest gradient (observed
            // ≥ 99.848 %), relative L2 error ≤ 0.5 %, no pixel off by more than 3 % of the largest
            // gradient, one photo within 1e-6 everywhere (why not every pixel: README).
            XCTAssertLessThanOrEqual(Double(off) / Double(size), 0.002, "sample \(s): share of pixels off by more than 1e-3 of the maximum")
            XCTAssertLessThanOrEqual(l2, 0.005, "sample \(s): relative L2 error")
            XCTAssertLessThanOrEqual(worst / largest, 0.03, "sample \(s): largest error")
            if worst <= 1e-6 { exact += 1 }
        }
        XCTAssertGreaterThanOrEqual(exact, 1, "at least one photo (no flipped unit) matches everywhere within 1e-6")
        // A sample's gradient is the same alone and in the batch.
        let alone = try model.gradient(of: [top1[3]], wrt: x.item(3)).grad
        XCTAssertEqual(alone.storage, Array(grad.storage[(3 * size)..<(4 * size)]), "sample 3: bit-identical gradient alone and in a batch")
    }
}
