import XCTest
import ProbityMetrics
@testable import ProbityReports

/// Names from data are shown, never run: a hostile explainer, metric, layer or path name stays
/// inert text in the HTML, the SVGs and the Markdown.
final class EscapingTests: XCTestCase {
    static let hostile = "<script>alert(1)</script>"

    /// The clean fixture with hostile names in every place a name can come from.
    func hostileInput() -> ReportInput {
        var input = ReportFixtures.clean()
        let evil = "gradcam@layer=\(Self.hostile)"
        let metric = "<img src=x onerror=alert(2)>"
        for i in input.summary.indices {
            if input.summary[i].explainer == "gradcam@layer=auto" { input.summary[i].explainer = evil }
            if input.summary[i].metric == "insertion" { input.summary[i].metric = metric }
            input.summary[i].variant = input.summary[i].variant.replacingOccurrences(of: "block1.conv", with: "\"><script>alert(3)</script>")
        }
        for i in input.reliability.indices where input.reliability[i].metric == "insertion" { input.reliability[i].metric = metric }
        let moved = input.curves["deletion"]?.removeValue(forKey: "gradcam@layer=auto")
        input.curves["deletion"]?[evil] = moved
        input.overlays = [ReportInput.OverlayCell(sample: 0, explainer: evil, map: [0, 1, 2, 3], pixels: [0, 50, 100, 150], height: 2, width: 2, channels: 1, signed: false, layer: Self.hostile)]
        input.sanityMaps = [ReportInput.SanityMapRow(explainer: evil, maps: [("original", [0, 1, 2, 3]), (Self.hostile, [3, 2, 1, 0])], height: 2, width: 2, signed: true)]
        input.run = RunRecord(probityVersion: "0.1", model: .init(path: "models/<b>m</b>.onnx", sha256: "ab"), dataset: .init(path: "d&.h5", sha256: "cd"),
                              explainers: [evil], metrics: ["deletion@substrate=\(Self.hostile)"], seed: 1)
        return input
    }

    func testHTMLKeepsHostileNamesInert() throws {
        let dir = NSTemporaryDirectory() + "probity-escape-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ReportWriter.write(hostileInput(), to: dir)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<img src=x"))
        XCTAssertFalse(html.contains("<b>m</b>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        XCTAssertTrue(html.contains("d&amp;.h5"))
    }

    func testSVGChartsKeepHostileNamesInertAndStayWellFormed() throws {
        let charts = ReportCharts(hostileInput())
        XCTAssertGreaterThanOrEqual(charts.charts.count, 5)
        for c in charts.charts {
            XCTAssertFalse(c.svg.lowercased().contains("<script"), c.fileName)
            XCTAssertFalse(c.svg.contains("<img"), c.fileName)
            let parsed = SVGElements(c.svg)
            XCTAssertNil(parsed.error, "\(c.fileName) is not well-formed XML")
            XCTAssertFalse(c.fileName.contains("<") || c.fileName.contains("/") || c.fileName.hasPrefix("."), c.fileName)
        }
        // The hostile option is shown as text (tooltip) of the gradcam label somewhere.
        XCTAssertTrue(charts.charts.contains { $0.svg.contains("&lt;script&gt;") })
    }

    func testMarkdownEscapesTableBreakersAndHTML() {
        XCTAssertEqual(MarkdownSummary.cell("a|b<script>"), "a\\|b&lt;script&gt;")
        let md = MarkdownSummary.text(hostileInput())
        XCTAssertFalse(md.contains("<script"))
        XCTAssertFalse(md.contains("<img"))
        XCTAssertTrue(md.contains("| # | explainer | mean rank | 95 % CI |"))
    }

    func testMarkupEscape() {
        XCTAssertEqual(Markup.escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&#39;\u{FFFD}")
        XCTAssertEqual(ExplainerName("x@a=%3Cb%3E,c=1%2C2").optionText, "a=<b>, c=1,2")
    }
}
