import Foundation
import XCTest
import ProbityData
import ProbityExplainers

/// LIME's and KernelSHAP's quickshift defaults scale with the image: lime_image's values at
/// 224 px (so 224 px maps are unchanged), proportionally smaller at 64 px, where the fixed
/// ones merged the shape into the background (3–7 segments, near-constant maps); values
/// a user gives are used exactly, and the ids say `auto` for the defaults.
final class SegmentationDefaultsCommandTests: XCTestCase {
    func testDefaultsScaleWithTheImageAndGivenValuesStay() throws {
        let defaults = try Options(explainer: "lime", specs: LIME.optionSpecs, given: [:])
        XCTAssert(defaults.id.contains("kernel_size=auto") && defaults.id.contains("max_dist=auto"), defaults.id)
        let at224 = Segmentation.quickshiftParameters(defaults, height: 224, width: 224)
        XCTAssertEqual(at224.kernelSize, 4)        // lime_image's quickshift(kernel_size=4, max_dist=200)
        XCTAssertEqual(at224.maxDistance, 200)
        let at64 = Segmentation.quickshiftParameters(defaults, height: 64, width: 64)
        XCTAssertEqual(at64.kernelSize, 4 * (64 / 224.0))
        XCTAssertEqual(at64.maxDistance, 200 * (64 / 224.0))
        let tiny = Segmentation.quickshiftParameters(defaults, height: 16, width: 40)   // floors
        XCTAssertEqual(tiny.kernelSize, 1)
        XCTAssertEqual(tiny.maxDistance, 200 * (16 / 224.0))
        let given = try Options(explainer: "kernel_shap", specs: KernelSHAP.optionSpecs, given: ["kernel_size": "4", "max_dist": "200"])
        XCTAssertEqual(Segmentation.quickshiftParameters(given, height: 64, width: 64).kernelSize, 4)
        XCTAssertEqual(Segmentation.quickshiftParameters(given, height: 64, width: 64).maxDistance, 200)
        XCTAssert(given.id.contains("kernel_size=4,") && given.id.contains("max_dist=200,"), given.id)
        XCTAssertThrowsError(try LIME(options: try Options(explainer: "lime", specs: LIME.optionSpecs, given: ["kernel_size": "big"]))) {
            XCTAssertEqual("\($0)", "lime: kernel_size must be auto or a number in 0.5…100.0, got big")
        }
    }

    /// On the bundled 64 px shapes, the shape gets its own superpixels: every LIME and
    /// KernelSHAP map has many distinct values and more relevance on the shape than off it.
    func testShapesGetTheirOwnSegments() throws {
        let dir = try CLI.scratch()
        let dataset = try Dataset(path: CLI.repository.appendingPathComponent("datasets/shapes.h5").path)
        let masks = try XCTUnwrap(try dataset.masks(0..<8))
        for (explainer, indices) in [("lime", 8), ("kernel_shap", 3)] {
            let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--explainer", explainer,
                                 "--option", "samples=300", "--indices", "0..\(indices - 1)", "--out", dir + "/\(explainer).h5"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains("constant"), r.stdout)
            let f = try HDF5File(path: dir + "/\(explainer).h5")
            let key = try XCTUnwrap(try f.members(of: "/attributions").first)
            let maps = try f.read("/attributions/" + key, rows: 0..<indices, as: Float.self)
            let plane = 64 * 64
            for s in 0..<indices {
                let map = maps[(s * plane)..<((s + 1) * plane)], mask = masks[(s * plane)..<((s + 1) * plane)]
                XCTAssertGreaterThanOrEqual(Set(map).count, 10, "\(explainer) sample \(s): too few superpixels")
                let inside = zip(map, mask).filter { $0.1 == 1 }.map { Double($0.0) }, outside = zip(map, mask).filter { $0.1 == 0 }.map { Double($0.0) }
                XCTAssertGreaterThan(inside.reduce(0, +) / Double(inside.count), outside.reduce(0, +) / Double(outside.count), "\(explainer) sample \(s)")
            }
        }
    }
}
