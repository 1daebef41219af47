import XCTest
import Foundation
@testable import ProbityCore
import ProbityData

/// Resize and blur against values computed once by scikit-image, SciPy and Pillow
/// (`Tests/Fixtures/image_ops.h5`, made by `Tests/Fixtures/recipes/make_image_fixtures.py`).
final class ImageOpsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func load(_ name: String, shape: [Int]) throws -> Tensor {
        let file = try HDF5File(path: ImageOpsTests.fixtures.appendingPathComponent("image_ops.h5").path)
        XCTAssertEqual(try file.info("/" + name).shape, shape)
        return Tensor(shape: shape, storage: try file.read("/" + name, as: Float.self))
    }

    func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String) {
        XCTAssertEqual(a.shape, b.shape, what)
        XCTAssertLessThanOrEqual(a.maxAbsDifference(b), tolerance, what)
    }

    func testResizeMatchesReferences() throws {
        let input = try load("input", shape: [3, 37, 53])
        for (method, name, tol) in [(ResizeMethod.antialiased, "antialiased", Float(1e-5)), (.bilinear, "bilinear", 1e-5),
                                   (.bicubic, "bicubic", 1e-5), (.area, "area", 1e-5)] {
            let down = input.resized(height: 16, width: 20, method: method)
            assertClose(down, try load("\(name)_down", shape: [3, 16, 20]), tolerance: tol, "\(name) down")
            let up = input.resized(height: 50, width: 70, method: method)
            assertClose(up, try load("\(name)_up", shape: [3, 50, 70]), tolerance: tol, "\(name) up")
        }
    }

    func testGaussianBlurMatchesSciPy() throws {
        let input = try load("input", shape: [3, 37, 53])
        for mode in BoundaryMode.allCases {
            let blurred = input.gaussianBlurred(sigmaY: 1.5, sigmaX: 2.5, boundary: mode)
            assertClose(blurred, try load("blur_\(mode.rawValue)", shape: [3, 37, 53]), tolerance: 1e-5, "blur \(mode)")
        }
    }

    func testFixedSizeKernelIsNormalizedAndSymmetric() {
        let k = gaussianKernel(size: 11, sigma: 5)
        XCTAssertEqual(k.count, 11)
        XCTAssertEqual(k.reduce(0, +), 1, accuracy: 1e-6)
        for i in 0..<5 { XCTAssertEqual(k[i], k[10 - i]) }
        // exp(-25/50) / Σ exp(-x²/50), x = -5…5: computed by hand = 0.0561 / 0.9343…
        let total = (-5...5).map { Foundation.exp(-Double($0 * $0) / 50) }.reduce(0, +)
        XCTAssertEqual(Double(k[0]), Foundation.exp(-0.5) / total, accuracy: 1e-7)
    }

    func testPreprocessingMapsPixelsToModelInput() {
        let p = Preprocessing(scale: [2, 1, 0.5], offset: [-1, 0, 0.25])
        let pixels: [UInt8] = [0, 255, 51, 255, 0, 102]  // one sample, 1×2 pixels, 3 channels
        let t = p.modelInput(pixels: pixels, count: 1, height: 1, width: 2)
        XCTAssertEqual(t.shape, [1, 3, 1, 2])
        XCTAssertEqual(t.storage, [-1, 1, 1, 0, 0.25 + 0.1, 0.25 + 0.2].map { Float($0) })
        XCTAssertEqual(p.pixel(input: p.input(pixel: 77, channel: 2), channel: 2), 77, accuracy: 1e-4)
    }
}
