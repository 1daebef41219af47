import Foundation
import XCTest
import ProbityData

/// `probity figure lime`: the tutorial's pictures for the top predicted classes. The classes
/// named are the model's top two (checked against `model predict --out`), the pictures are
/// the image enlarged to at least 224 px, the "rest hidden" picture is black outside the chosen
/// superpixels and the image inside, and a rerun gives the same bytes.
final class LIMEFigureCommandTests: XCTestCase {
    func testPicturesForTheTopTwoClasses() throws {
        let dir = try CLI.scratch()
        let args = ["figure", "lime", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--indices", "5",
                    "--option", "samples=150", "--quiet"]
        let r = try CLI.run(args + ["--out", dir + "/a"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("→ \(dir)/a/index.html"), r.stdout)
        let p = try CLI.run(["model", "predict", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--indices", "5", "--out", dir + "/p.h5", "--quiet"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let logits = try HDF5File(path: dir + "/p.h5").read("/logits", as: Float.self)
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        let page = try String(contentsOfFile: dir + "/a/index.html", encoding: .utf8)
        let names = SyntheticShapes.classNames
        XCTAssert(page.contains("Top 1: \(names[order[0]]) (\(order[0]))") && page.contains("Top 2: \(names[order[1]]) (\(order[1]))"), page)
        // The hidden-rest picture: 256 × 256 (64 px × 4); every pixel black, yellow (outline) or the image's own.
        let hidden = try PNGImage(contentsOf: dir + "/a/sample5_top1_positive.png")
        XCTAssertEqual([hidden.width, hidden.height, hidden.channels], [256, 256, 3])
        let image = try Dataset(path: "\(CLI.repository.path)/datasets/shapes.h5").pixels(5..<6)
        var shown = 0, black = 0
        for y in 0..<256 {
            for x in 0..<256 {
                let q = (y * 256 + x) * 3, s = ((y / 4) * 64 + x / 4) * 3
                let px = Array(hidden.pixels[q..<(q + 3)])
                if px == [0, 0, 0] { black += 1 } else if px == Array(image[s..<(s + 3)]) { shown += 1 } else { XCTAssertEqual(px, [255, 255, 0]) }
            }
        }
        XCTAssert(shown > 0 && black > 0, "shown \(shown), black \(black)")
        let again = try CLI.run(args + ["--out", dir + "/b"])
        XCTAssertEqual(again.status, 0, again.stderr)
        for f in ["sample5_top1_positive.png", "sample5_top1_pros_cons.png", "sample5_top2_positive.png", "sample5_top2_pros_cons.png"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/" + f)), try Data(contentsOf: URL(fileURLWithPath: dir + "/b/" + f)), f)
        }
        let bad = try CLI.run(["figure", "lime", "--model", "models/shapes_cnn.onnx", "--dataset", "datasets/shapes.h5", "--labels", "0", "--out", dir + "/c"])
        XCTAssertEqual(bad.status, 2); XCTAssert(bad.stderr.hasPrefix("probity: error: --labels must be 1…10"), bad.stderr)
    }
}
