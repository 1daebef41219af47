import Foundation
import XCTest
import ProbityData
import ProbityReports

/// `probity figure imagelime`: MATLAB's imageLIME workflow. The classes named are the model's
/// top two (checked against `model predict --out`); each class row has LIME, occlusion and
/// Grad-CAM pictures in that order; every picture is the image under jet at alpha ½ (checked
/// pixel by pixel where the map is at its minimum: jet's first row blended with the image); a
/// rerun gives the same bytes; a bad --compare names the problem.
final class ImageLIMEFigureCommandTests: XCTestCase {
    func testLIMEBesideOcclusionAndGradCAMForTheTopTwoClasses() throws {
        let dir = try CLI.scratch()
        let args = ["figure", "imagelime", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--indices", "7",
                    "--option", "samples=200", "--option", "n_segments=30", "--quiet"]
        let r = try CLI.run(args + ["--out", dir + "/a"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("→ \(dir)/a/index.html"), r.stdout)
        let p = try CLI.run(["model", "predict", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--indices", "7", "--out", dir + "/p.h5", "--quiet"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let logits = try HDF5File(path: dir + "/p.h5").read("/logits", as: Float.self)
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        let page = try String(contentsOfFile: dir + "/a/index.html", encoding: .utf8)
        let names = SyntheticShapes.classNames
        let first = try XCTUnwrap(page.range(of: "Top 1: \(names[order[0]]) (\(order[0]))")), second = try XCTUnwrap(page.range(of: "Top 2: \(names[order[1]]) (\(order[1]))"))
        XCTAssertLessThan(first.lowerBound, second.lowerBound)
        XCTAssert(page.contains("surrogate=tree") && page.contains("samples=200") && page.contains("hide=mean"), "imageLIME's settings with the overrides")
        let files = ["sample7_top1_0_lime.png", "sample7_top1_1_occlusion-sensitivity.png", "sample7_top1_2_grad-cam.png",
                     "sample7_top2_0_lime.png", "sample7_top2_1_occlusion-sensitivity.png", "sample7_top2_2_grad-cam.png"]
        var last = page.startIndex
        for f in files {
            let at = try XCTUnwrap(page.range(of: "src=\"\(f)\""), f)
            XCTAssertGreaterThan(at.lowerBound, last, "\(f) in order"); last = at.lowerBound
        }
        // The 64 px image enlarged 4× (nearest) under jet: where the picture shows jet's first row
        // blended with the image, the image shows through exactly half.
        let image = try Dataset(path: "\(CLI.repository.path)/datasets/shapes.h5").pixels(7..<8)
        let jet0 = Heatmap.jetTable(256)[0]
        let color: [Float] = [jet0.0, jet0.1, jet0.2]
        for f in files {
            let png = try PNGImage(contentsOf: dir + "/a/" + f)
            XCTAssertGreaterThanOrEqual(png.width, 256); XCTAssertGreaterThanOrEqual(png.height, 256)
            var atMinimum = 0
            for y in 0..<256 { for x in 0..<256 {
                let q = (y * png.width + x) * 3, s = ((y / 4) * 64 + x / 4) * 3
                let want = (0..<3).map { (ch: Int) -> UInt8 in
                    let under: Float = Float(image[s + ch]) / 255
                    return UInt8(((0.5 * under + 0.5 * color[ch]) * 255).rounded())
                }
                if Array(png.pixels[q..<(q + 3)]) == want { atMinimum += 1 }
            } }
            XCTAssertGreaterThan(atMinimum, 0, "\(f): some pixel at the map's minimum")
        }
        let again = try CLI.run(args + ["--out", dir + "/b"])
        XCTAssertEqual(again.status, 0, again.stderr)
        for f in files { XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/" + f)), try Data(contentsOf: URL(fileURLWithPath: dir + "/b/" + f)), f) }
        let bad = try CLI.run(["figure", "imagelime", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--compare", "occlusion:window=0", "--out", dir + "/c"])
        XCTAssertEqual(bad.status, 2); XCTAssert(bad.stderr.hasPrefix("probity: error: occlusion: window must be"), bad.stderr)
    }
}
