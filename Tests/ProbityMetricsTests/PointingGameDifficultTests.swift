import Foundation
import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityMetrics

/// The EBP paper's "difficult" subset of the pointing game (Zhang et al. 2016/2018), as
/// TorchRay's `PointingGameBenchmark(difficult=True)` selects it: by the paper's rule from the
/// ground truth, or by TorchRay's per-image class flags, where an image the file does not list
/// is scored and a listed image's class with flag 0 is left out.
final class PointingGameDifficultTests: XCTestCase {
    let (h, w) = (20, 20)

    func box(x0: Int, y0: Int, x1: Int, y1: Int) -> [Bool] {
        (0..<(h * w)).map { p in (x0..<x1).contains(p % w) && (y0..<y1).contains(p / w) }
    }

    /// A map whose maximum is at (y, x).
    func peak(_ y: Int, _ x: Int) -> [Float] {
        var m = [Float](repeating: 0, count: h * w); m[y * w + x] = 1; m[0] = 0.5; return m
    }

    func input(_ maps: [[Float]], _ regions: [[Bool]], targets: [Int], names: [String]? = nil, classes: [Set<Int>]? = nil) -> MetricInput {
        MetricInput(x: Tensor(shape: [maps.count, 1, h, w]), maps: Tensor(shape: [maps.count, h, w], storage: maps.flatMap { $0 }),
                    targets: targets, preprocessing: .unit(channels: 1), regions: regions, sampleNames: names, boxClasses: classes)
    }

    func model() throws -> Model { try LinearModel.make(w: .init(repeating: 0, count: 2 * h * w), b: [0, 0], height: h, width: w) }

    func testEBPRuleSmallClassWithAnotherClassPresent() throws {
        let small = box(x0: 2, y0: 2, x1: 7, y1: 7)              // 25 of 400 px: 6 %
        let quarter = box(x0: 0, y0: 0, x1: 10, y1: 10)          // 100 of 400: exactly 1/4, not less
        let justUnder = box(x0: 0, y0: 0, x1: 11, y1: 9)         // 99 of 400
        let regions = [small, small, quarter, justUnder, small]
        let maps = [peak(4, 4), peak(4, 4), peak(15, 15), peak(15, 15), peak(15, 15)]
        let classes: [Set<Int>] = [[0, 1], [0], [0, 1], [1, 0], [1, 0]]
        let r = try PointingGame(["difficult": "ebp", "tolerance": "1"]).evaluate(input(maps, regions, targets: [0, 0, 0, 0, 0], classes: classes), model: model())
        XCTAssertEqual(r.scores, [1, 1, 0, 0, 0])                // the main score is unchanged: every sample
        let hard = try XCTUnwrap(r.variants.first { $0.name == "difficult" })
        // In the subset: 0 (small, class 1 present), 3 (99 px < 100), 4; alone (1) and a quarter (2) are not.
        XCTAssertEqual(hard.status, ["ok", "skipped", "skipped", "ok", "ok"])
        XCTAssertEqual(hard.scores[0], 1); XCTAssertEqual(hard.scores[3], 0); XCTAssertEqual(hard.scores[4], 0)
        XCTAssert(hard.scores[1].isNaN && hard.scores[2].isNaN)
        // Without the option there is no such variant; without box classes the rule cannot be computed.
        XCTAssertEqual(try PointingGame().evaluate(input(maps, regions, targets: [0, 0, 0, 0, 0], classes: classes), model: model()).variants.map(\.name), ["energy"])
        XCTAssertThrowsError(try PointingGame(["difficult": "ebp"]).evaluate(input(maps, regions, targets: [0, 0, 0, 0, 0]), model: model())) {
            XCTAssert("\($0)".contains("difficult=ebp needs the dataset's /boxes"), "\($0)")
        }
    }

    func testTorchRayFlagsFileSelectsPairsByImageStem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-difficult-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let flags = dir + "/flags.txt"
        try "000001\t0\t1\n000002\t1\t0\n".write(toFile: flags, atomically: true, encoding: .utf8)
        let region = box(x0: 2, y0: 2, x1: 7, y1: 7)
        let names = ["dog/000001.png", "000002.jpg", "000003.png", "000001.png"]
        let r = try PointingGame(["difficult": flags, "tolerance": "1"]).evaluate(
            input([peak(4, 4), peak(4, 4), peak(15, 15), peak(4, 4)], [region, region, region, region], targets: [1, 1, 0, 0], names: names), model: model())
        let hard = try XCTUnwrap(r.variants.first { $0.name == "difficult" })
        // 000001 class 1: flagged; 000002 class 1: flag 0, left out; 000003: not in the file, scored (TorchRay); 000001 class 0: flag 0.
        XCTAssertEqual(hard.status, ["ok", "skipped", "ok", "skipped"])
        XCTAssertEqual(hard.scores[0], 1); XCTAssertEqual(hard.scores[2], 0)
        // A dataset without names cannot be matched.
        XCTAssertThrowsError(try PointingGame(["difficult": flags]).evaluate(input([peak(4, 4)], [region], targets: [0]), model: model())) {
            XCTAssert("\($0)".contains("/sample_names"), "\($0)")
        }
        // A class beyond the file's flags names the file.
        XCTAssertThrowsError(try PointingGame(["difficult": flags]).evaluate(input([peak(4, 4)], [region], targets: [5], names: ["000001.png"]), model: model())) {
            XCTAssert("\($0)".contains(flags) && "\($0)".contains("class 5"), "\($0)")
        }
        // Bad files fail at construction, naming the file and the line.
        XCTAssertThrowsError(try PointingGame(["difficult": dir + "/missing.txt"])) { XCTAssert("\($0)".contains("missing.txt"), "\($0)") }
        try "000001\t0\t1\n000002\t1\tx\n".write(toFile: flags, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PointingGame(["difficult": flags])) { XCTAssert("\($0)".contains("line 2"), "\($0)") }
        try "000001\t0\t1\n000002\t1\n".write(toFile: flags, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PointingGame(["difficult": flags])) { XCTAssert("\($0)".contains("expected 2 class flags"), "\($0)") }
    }

    /// TorchRay's table reports the mean over classes for "All" and "Diff": per-class means of
    /// the `difficult` variant come from its own rows only.
    func testSummaryAddsPerClassMeansOfTheDifficultVariant() {
        var rows: [ScoreRow] = []
        // Main: class 0 hits 1, 1, 0; class 1 hits 0. Difficult: class 0 sample 2 (0), class 1 sample 3 (0) and sample 4 (1).
        for (s, (label, hit)) in [(0, 1), (0, 1), (0, 0), (1, 0), (1, 1)].enumerated() {
            rows.append(ScoreRow(explainer: "e", metric: "pg", variant: "", sample: s, label: label, value: Float(hit), status: "ok"))
            if s >= 2 { rows.append(ScoreRow(explainer: "e", metric: "pg", variant: "difficult", sample: s, label: label, value: Float(hit), status: "ok")) }
        }
        let summary = Summary.rows(ScoreTable(rows: rows, higherIsBetter: ["pg": true]), perClass: ["pg"], perClassVariants: ["", "difficult"], seed: 0, meanRank: false)
        func mean(_ v: String) -> Double? { summary.first { $0.variant == v }?.mean }
        XCTAssertEqual(mean(""), 3.0 / 5)
        XCTAssertEqual(try XCTUnwrap(mean("per_class")), (2.0 / 3 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(mean("difficult")), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(mean("difficult/per_class")), (0 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(summary.map(\.variant), ["", "per_class", "difficult", "difficult/per_class"])
        // Metrics without per-class variants get none.
        XCTAssertFalse(Summary.rows(ScoreTable(rows: rows, higherIsBetter: ["pg": true]), perClass: [], seed: 0, meanRank: false).contains { $0.variant.hasSuffix("per_class") })
    }
}
