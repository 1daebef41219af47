import XCTest
import ProbityCore
import ProbityData
import ProbityMetrics
@testable import ProbityReports

final class ReportFileTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "probity-report-\(getpid())-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// report.html is one file: no script, no http(s) reference, every image a data: URI, every
    /// link an in-page anchor; the charts and heatmaps it mirrors are written beside it.
    func testReportIsOneSelfContainedFile() throws {
        var input = ReportFixtures.clean()
        let map = (0..<(64 * 64)).map { Float($0 % 64) }
        input.overlays = [ReportInput.OverlayCell(sample: 3, explainer: "gradcam@layer=auto", map: map, pixels: [UInt8](repeating: 128, count: 64 * 64 * 3),
                                                  height: 64, width: 64, channels: 3, signed: false, layer: "block3.conv")]
        let files = try ReportWriter.write(input, to: dir)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://"))
        XCTAssertFalse(html.contains("<link") || html.contains("@import") || html.contains("<iframe"))
        for src in matches(html, #"src="([^"]*)""#) { XCTAssertTrue(src.hasPrefix("data:image/png;base64,"), src) }
        for href in matches(html, #"href="([^"]*)""#) { XCTAssertTrue(href.hasPrefix("#"), href) }
        XCTAssertEqual(matches(html, #"src="(data:[^"]*)""#).count, 1)
        // Sections in the order of the brief.
        let ids = matches(html, #"<section id="([a-z]+)""#)
        XCTAssertEqual(ids, ["verdict", "scores", "charts", "curves", "sanity", "ranks", "reliability", "overlays", "notes"])
        // Options are footnotes, not labels.
        XCTAssertTrue(html.contains("baseline=black, method=gausslegendre, steps=50"))
        XCTAssertFalse(html.contains(">integrated_gradients@"))
        // Files beside it.
        XCTAssertTrue(files.contains("charts/bars_insertion.svg"))
        XCTAssertTrue(files.contains("charts/curves_deletion.svg"))
        XCTAssertTrue(files.contains("charts/sanity_model_randomization_spearman.svg"))
        XCTAssertTrue(files.contains("charts/ranks.svg"))
        let png = try XCTUnwrap(files.first { $0.hasPrefix("heatmaps/") })
        XCTAssertTrue(png.contains("viridis"))
        let image = try PNGImage(contentsOf: dir + "/" + png)
        XCTAssertGreaterThanOrEqual(image.height, 192)
        for f in files { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f) }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "atomic writes leave no temporary files")
    }

    /// A run directory written with ResultTables reads back into the same rows.
    func testInputReadsWhatTheHarnessWrites() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rows: [ScoreRow] = []
        for (k, e) in ["a@x=1", "b", "=evil,name"].enumerated() {
            for s in 0..<6 { rows.append(ScoreRow(explainer: e, metric: "insertion", variant: "", sample: s, label: s % 2, value: Float(k) + Float(s) / 10, status: "ok")) }
        }
        let table = ScoreTable(rows: rows, higherIsBetter: ["insertion": true])
        let summary = Summary.rows(table, perClass: [], seed: 1), pairwise = Pairwise.rows(table), reliability = Reliability.rows(table)
        try Data(ResultTables.summary(summary).utf8).write(to: URL(fileURLWithPath: dir + "/summary.csv"))
        try Data(ResultTables.pairwise(pairwise).utf8).write(to: URL(fileURLWithPath: dir + "/pairwise.csv"))
        try Data(ResultTables.reliability(reliability).utf8).write(to: URL(fileURLWithPath: dir + "/reliability.csv"))
        try Data(ResultTables.perSample(rows).utf8).write(to: URL(fileURLWithPath: dir + "/per_sample.csv"))
        let curves = try HDF5File(path: dir + "/curves.h5", mode: .truncate)
        try curves.write("/curves/insertion/b", [Float](arrayLiteral: 0, 0.5, 1, 0.1, 0.6, 0.9), shape: [2, 3])
        try curves.write("/samples/insertion/b", [Int64](arrayLiteral: 4, 7), shape: [2])
        curves.close()
        let input = try ReportInput(directory: dir)
        XCTAssertEqual(input.summary, summary.map(SummaryRow.init))
        XCTAssertEqual(input.pairwise, pairwise.map(PairwiseRow.init))
        XCTAssertEqual(input.reliability.map(\.metric), reliability.map(\.metric))
        XCTAssertEqual(input.perSample, rows)
        XCTAssertEqual(input.curves["insertion"]?["b"]?.samples, [4, 7])
        XCTAssertEqual(input.curves["insertion"]?["b"]?.mean.map { ($0 * 1000).rounded() / 1000 }, [0.05, 0.55, 0.95])
        XCTAssertNil(input.run)
    }

    func testBadFilesAreNamed() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ReportInput(directory: dir)) { XCTAssertTrue("\($0)".contains("summary.csv")) }
        try Data("explainer,metric\n".utf8).write(to: URL(fileURLWithPath: dir + "/summary.csv"))
        XCTAssertThrowsError(try ReportInput(directory: dir)) { XCTAssertTrue("\($0)".contains("summary.csv: expected the header")) }
        let header = ResultTables.summaryHeader.joined(separator: ",")
        try Data("\(header)\na,m,,zero,0,1,3,1,true\n".utf8).write(to: URL(fileURLWithPath: dir + "/summary.csv"))
        XCTAssertThrowsError(try ReportInput(directory: dir)) { XCTAssertTrue("\($0)".contains("line 2, mean: expected a number"), "\($0)") }
        try Data("\(header)\na,m,,0.5,0,1,3,1,true\n".utf8).write(to: URL(fileURLWithPath: dir + "/summary.csv"))
        try Data("{\"probity_version\": \"1\"}".utf8).write(to: URL(fileURLWithPath: dir + "/run.json"))
        XCTAssertThrowsError(try ReportInput(directory: dir)) { XCTAssertTrue("\($0)".contains("run.json: model: missing"), "\($0)") }
    }

    func matches(_ s: String, _ pattern: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).map { String(s[Range($0.range(at: 1), in: s)!]) }
    }
}
