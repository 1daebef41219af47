import Foundation
import XCTest
import ProbityData
@testable import ProbityReports

/// The lime_image tutorial's pictures against lime's own `get_image_and_mask` and
/// scikit-image's `mark_boundaries` (`Tests/Fixtures/lime_figures.h5`, recipe beside it):
/// masks identical, pictures within 1e-12, for top-K positive with the rest hidden, pros and
/// cons, ties in |weight|, and a minimum weight.
final class LIMEFigureTests: XCTestCase {
    func testPicturesMatchLimeAndScikitImage() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/lime_figures.h5").path
        let f = try HDF5File(path: path)
        let image = try f.read("/image", as: UInt8.self)
        let shape = try f.info("/image").shape
        let (h, w) = (shape[0], shape[1])
        let segments = try f.read("/segments", as: Int64.self).map(Int.init)
        let weights = try f.read("/weights", as: Double.self)
        let cases: [(String, Bool, Int, Bool, Double)] = [
            ("positive_top5_hide", true, 5, true, 0), ("pros_cons_top10", false, 10, false, 0),
            ("positive_top3_keep", true, 3, false, 0), ("pros_cons_top4_min", false, 4, false, 0.3),
        ]
        for (name, positive, k, hide, minimum) in cases {
            let (picture, mask) = LIMEFigure.imageAndMask(image: image, width: w, height: h, segments: segments, weights: weights,
                                                          positiveOnly: positive, features: k, hideRest: hide, minWeight: minimum)
            XCTAssertEqual(mask, try f.read("/\(name)/mask", as: Int64.self).map(Int.init), name)
            let marked = LIMEFigure.markBoundaries(picture, labels: mask)
            let expected = try f.read("/\(name)/picture", as: Double.self)
            let worst = zip(marked.rgb, expected).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, 1e-12, name)
            XCTAssertGreaterThan(expected.filter { $0 == 1 }.count, 0, "\(name) draws yellow boundaries")
        }
    }
}
