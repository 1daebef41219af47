import Foundation
import XCTest
import ProbityCore
import ProbityData
@testable import ProbityExplainers

/// Issue 14: internals of explainers (and the `blur` substrate insertion uses) against the
/// reference implementations' own operations, from `Tests/Fixtures/image_ops.h5`
/// (recipe `Tests/Fixtures/recipes/make_image_fixtures.py`).
final class ReferenceFidelityTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/image_ops.h5").path

    func load(_ name: String, shape: [Int]) throws -> Tensor {
        let file = try HDF5File(path: ReferenceFidelityTests.fixture)
        XCTAssertEqual(try file.info("/" + name).shape, shape)
        return Tensor(shape: shape, storage: try file.read("/" + name, as: Float.self))
    }

    /// `blur` is the RISE code's `gkern(11, 5)` applied by `conv2d(padding=5)`: nearly a box
    /// (edge/centre 0.936 per axis pair, SciPy), zero padding darkens the border.
    func testBlurIsTheRISEReferenceBlur() throws {
        let input = try load("input", shape: [3, 37, 53])
        let x = Tensor(shape: [1, 3, 37, 53], storage: input.storage)
        var rng = RNG(seed: 0)
        let ours = try Baseline.make("blur", for: x, preprocessing: .unit(channels: 3), rng: &rng)
        let theirs = try load("rise_blur", shape: [3, 37, 53])
        XCTAssertLessThanOrEqual(Tensor(shape: [3, 37, 53], storage: ours.storage).maxAbsDifference(theirs), 1e-6)
        let k = gaussianFilteredDeltaKernel(size: 11, sigma: 5)
        XCTAssertEqual(Double(k[0] / k[5]), 0.9359035407219273, accuracy: 1e-6)   // 2-D edge/centre k[5,0]/k[5,5]
        XCTAssertEqual(Double(k.reduce(0, +)), 1, accuracy: 1e-6)
        // The old substrate stays available and differs.
        let sampled = try Baseline.make("blur_sampled", for: x, preprocessing: .unit(channels: 3), rng: &rng)
        XCTAssertGreaterThan(Tensor(shape: [3, 37, 53], storage: sampled.storage).maxAbsDifference(theirs), 0.05)
    }

    /// RISE masks: a 7 × 7 grid upsampled to 40 × 40 as the reference's scikit-image
    /// `resize(order=1, mode='reflect', anti_aliasing=False)`.
    func testRISEGridUpsamplingIsScikitImageReflect() throws {
        let grid = try load("rise_grid", shape: [7, 7])
        let want = try load("rise_grid_up", shape: [40, 40])
        let ours = RISE.upsampled(Tensor(shape: [1, 7, 7], storage: grid.storage), height: 40, width: 40, border: "reflect")
        XCTAssertLessThanOrEqual(Tensor(shape: [40, 40], storage: ours.storage).maxAbsDifference(want), 1e-6)
        let clamped = RISE.upsampled(Tensor(shape: [1, 7, 7], storage: grid.storage), height: 40, width: 40, border: "clamp")
        XCTAssertGreaterThan(Tensor(shape: [40, 40], storage: clamped.storage).maxAbsDifference(want), 0.1)
    }

    /// Score-CAM masks: `UpsamplingBilinear2d` (align_corners=True), 7 × 7 → 37 × 53.
    func testScoreCAMUpsamplingAlignsCorners() throws {
        let planes = try load("scorecam_planes", shape: [2, 7, 7])
        let want = try load("scorecam_up", shape: [2, 37, 53])
        var ours = Tensor(shape: [2, 37, 53])
        let resize = ScoreCAM.AlignCornersResize(h: 7, w: 7, height: 37, width: 53)
        ours.storage.withUnsafeMutableBufferPointer { out in
            planes.storage.withUnsafeBufferPointer { p in
                for ch in 0..<2 { resize.resize(p.baseAddress! + ch * 49, into: out.baseAddress! + ch * 37 * 53) }
            }
        }
        XCTAssertLessThanOrEqual(ours.maxAbsDifference(want), 1e-6)
    }

    /// Grad-CAM++ weights with pytorch-grad-cam's ε = 1e-6: one channel, Σ A = 0, gradients
    /// 1e-3 on 4 pixels: α = g²/(2g² + ε) = 1e-6/3e-6 = 1/3, w = 4 · (1/3) · 1e-3 = 1.3333e-3
    /// (ε = 1e-7, the old value, gives α = 1/2.1 and w = 1.9048e-3).
    func testGradCAMPlusPlusEpsilonIsPytorchGradCAMs() throws {
        let a = Tensor(shape: [1, 1, 2, 2], storage: [1, -1, 2, -2])
        let g = Tensor(shape: [1, 1, 2, 2], storage: [1e-3, 1e-3, 1e-3, 1e-3])
        XCTAssertEqual(GradCAMPlusPlus.weights(a, g, eps: 1e-6).storage[0], 4e-3 / 3, accuracy: 1e-8)
        XCTAssertEqual(try GradCAMPlusPlus(options: Options(explainer: "gradcam_pp", specs: GradCAMPlusPlus.optionSpecs, given: [:])).options.double("eps"), 1e-6)
    }
}
