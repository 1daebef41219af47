import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// `--ground-truth patch`: the same images as the shape ground truth, with masks and boxes on
/// the shortcut patch, in the class's corner; no ground truth where a sample has no patch.
final class SpuriousPatchTests: XCTestCase {
    func testPatchGroundTruthMarksTheShortcutInTheClassCorner() throws {
        let (n, s) = (40, 32)
        let shape = SyntheticShapes(count: n, size: s, seed: 3, spurious: 0.5)
        let patch = SyntheticShapes(count: n, size: s, seed: 3, spurious: 0.5, groundTruth: .patch)
        var with = 0
        for i in 0..<n {
            let a = shape.sample(i), b = patch.sample(i)
            XCTAssertEqual(a.pixels, b.pixels); XCTAssertEqual(a.label, b.label); XCTAssertEqual(a.hasPatch, b.hasPatch)
            let marked = (0..<(s * s)).filter { b.mask[$0] == 1 }
            guard b.hasPatch else { XCTAssert(marked.isEmpty); continue }
            with += 1
            // Every marked pixel is the patch color and lies in the class's corner; none is on the shape.
            let p = max(2, s / 10)
            let px = (b.label & 1) == 0 ? 1 : s - p - 1, py = (b.label & 2) == 0 ? 1 : s - p - 1
            XCTAssertFalse(marked.isEmpty)
            for q in marked {
                XCTAssertEqual(Array(b.pixels[(3 * q)..<(3 * q + 3)]), [255, 0, 255])
                XCTAssert((px..<(px + p)).contains(q % s) && (py..<(py + p)).contains(q / s))
                XCTAssertEqual(a.mask[q], 0)
            }
            XCTAssertEqual(marked.count + (0..<(s * s)).filter { a.mask[$0] == 1 && (px..<(px + p)).contains($0 % s) && (py..<(py + p)).contains($0 / s) }.count, p * p)
            XCTAssertEqual([b.box.x0, b.box.y0, b.box.x1, b.box.y1], [Float(px), Float(py), Float(px + p), Float(py + p)])
        }
        XCTAssert(with > 10 && with < 30, "\(with) of \(n) samples have a patch at rate 0.5")
        // Written: samples without a patch have no box.
        let path = try scratchDirectory() + "/patch.h5"
        try patch.write(to: path)
        let d = try Dataset(path: path)
        XCTAssertEqual(d.boxes.count, with)
        XCTAssert(d.source.hasSuffix("--ground-truth patch"))
        XCTAssertThrowsError(try SyntheticShapes(count: 2, groundTruth: .patch).write(to: path + ".x")) { XCTAssert("\($0)".contains("needs --spurious"), "\($0)") }
    }
}
