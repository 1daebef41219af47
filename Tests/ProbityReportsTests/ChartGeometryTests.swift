import XCTest
@testable import ProbityReports

/// The drawings say what the numbers say: positions read back from the SVG through the axis'
/// own tick labels give the means and interval ends that went in.
final class ChartGeometryTests: XCTestCase {
    /// The linear map pixel → value given by the tick labels (at least two ticks).
    func inverse(_ svg: SVGElements, axis: String = "x") -> (Double) -> Double {
        let ticks = svg.withClass("tick-label").map { (pixel: $0.number(axis), value: Double($0.text.trimmingCharacters(in: .whitespaces))!) }
        precondition(ticks.count >= 2)
        let (a, b) = (ticks.first!, ticks.last!)
        return { p in a.value + (p - a.pixel) / (b.pixel - a.pixel) * (b.value - a.value) }
    }

    func testBarsAndWhiskersMatchTheNumbers() throws {
        let rows = [
            ReportFixtures.row("saliency@abs=true", "insertion", 0.62, 0.55, 0.70, rank: 2),
            ReportFixtures.row("gradcam@layer=auto", "insertion", 0.81, 0.77, 0.86, rank: 1),
            ReportFixtures.row("random", "insertion", 0.33, 0.30, 0.37, rank: 3),
        ]
        let style = ChartStyle(explainers: rows.map(\.explainer))
        let svg = SVGElements(BarChart.svg(metric: "insertion", variant: "", rows: rows, style: style))
        XCTAssertNil(svg.error)
        let value = inverse(svg)
        let bars = svg.withClass("bar"), lows = svg.withClass("whisker-low"), highs = svg.withClass("whisker-high")
        XCTAssertEqual(bars.count, 3); XCTAssertEqual(lows.count, 3); XCTAssertEqual(highs.count, 3)
        // Best first: gradcam, saliency, random.
        let expected = [rows[1], rows[0], rows[2]]
        for (i, r) in expected.enumerated() {
            XCTAssertEqual(value(bars[i].number("x")), 0, accuracy: 1e-3, "bars start at 0")
            XCTAssertEqual(value(bars[i].number("x") + bars[i].number("width")), r.mean, accuracy: 1e-3)
            XCTAssertEqual(value(lows[i].number("x1")), r.low, accuracy: 1e-3)
            XCTAssertEqual(value(highs[i].number("x1")), r.high, accuracy: 1e-3)
            XCTAssertEqual(bars[i].number("y") + bars[i].number("height") / 2, lows[i].number("y1") + 5, accuracy: 1e-6, "whisker centred on its bar")
        }
        let labels = svg.withClass("bar-label").map { $0.text }
        XCTAssertEqual(labels.map { $0.hasPrefix("gradcam") }, [true, false, false])
        XCTAssertFalse(labels.contains { $0.contains("@") }, "labels show the name, not the id")
        XCTAssertTrue(svg.withClass("chart-title")[0].text.contains("higher is better"))
        // The control is hatched, methods are flat colours.
        XCTAssertTrue(bars[2].attributes["fill"]!.hasPrefix("url(#hatch"))
        XCTAssertFalse(bars[0].attributes["fill"]!.hasPrefix("url("))
    }

    func testNegativeMeansDrawLeftOfZero() {
        let rows = [ReportFixtures.row("a", "m", -0.4, -0.5, -0.3, rank: 2, higher: false), ReportFixtures.row("b", "m", 0.2, 0.1, 0.3, rank: 1, higher: false)]
        let svg = SVGElements(BarChart.svg(metric: "m", variant: "", rows: rows, style: ChartStyle(explainers: ["a", "b"])))
        let value = inverse(svg)
        let bars = svg.withClass("bar")
        XCTAssertEqual(value(bars[1].number("x")), -0.4, accuracy: 1e-3)
        XCTAssertEqual(value(bars[1].number("x") + bars[1].number("width")), 0, accuracy: 1e-3)
        XCTAssertTrue(svg.withClass("chart-title")[0].text.contains("lower is better"))
    }

    func testCurvePointsMatchTheMeanCurve() {
        let curves = ["gradcam@layer=auto": ReportInput.Curves(samples: [0, 1], rows: [[1, 0.6, 0.2, 0], [0.8, 0.4, 0.2, 0.2]])]
        let svg = SVGElements(CurveChart.svg(metric: "deletion", curves: curves, higherIsBetter: false, style: ChartStyle(explainers: Array(curves.keys))))
        XCTAssertNil(svg.error)
        let labels = svg.withClass("tick-label")
        // x ticks are centred labels below the plot; y ticks are right-aligned at its left.
        let xTicks = labels.filter { $0.attributes["text-anchor"] == "middle" }.map { ($0.number("x"), Double($0.text)!) }
        let yTicks = labels.filter { $0.attributes["text-anchor"] == "end" }.map { ($0.number("y") - 4, Double($0.text)!) }
        func map(_ t: [(Double, Double)]) -> (Double) -> Double { { p in t[0].1 + (p - t[0].0) / (t.last!.0 - t[0].0) * (t.last!.1 - t[0].1) } }
        let (fx, fy) = (map(xTicks), map(yTicks))
        let points = svg.withClass("curve")[0].attributes["points"]!.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        let expected = [0.9, 0.5, 0.2, 0.1]
        XCTAssertEqual(points.count, 4)
        for (j, p) in points.enumerated() {
            XCTAssertEqual(fx(p[0]), Double(j) / 3, accuracy: 1e-3)
            XCTAssertEqual(fy(p[1]), expected[j], accuracy: 1e-3)
        }
    }

    func testSanityChartStartsAtOriginalAndKeepsLayerOrder() {
        let input = ReportFixtures.clean()
        let rows = input.summary.filter { $0.metric == "model_randomization" }
        XCTAssertEqual(SanityChart.measures(rows), ["spearman"])
        let svg = SVGElements(SanityChart.svg(metric: "model_randomization", measure: "spearman", rows: rows, style: ChartStyle(explainers: input.explainers)))
        XCTAssertNil(svg.error)
        let categories = svg.withClass("tick-label").filter { $0.attributes["transform"] != nil }.map(\.text)
        XCTAssertEqual(categories, ["original", "logits", "block2.conv", "block1.conv"])
        XCTAssertEqual(svg.withClass("sanity-line").count, 5)
    }

    /// Twenty explainers, one with a long name: every legend entry lies inside the drawing,
    /// entries do not overlap, and the long name is cut (its tooltip keeps it whole).
    func testLegendFitsManyAndLongNames() {
        let long = String(repeating: "very_long_method_name_", count: 3) + "@k=v"
        let ids = (0..<19).map { "method_\($0)" } + [long]
        let curve = ReportInput.Curves(samples: [0], rows: [[1, 0.5, 0]])
        let svgText = CurveChart.svg(metric: "deletion", curves: Dictionary(uniqueKeysWithValues: ids.map { ($0, curve) }), higherIsBetter: false, style: ChartStyle(explainers: ids))
        let svg = SVGElements(svgText)
        XCTAssertNil(svg.error)
        let height = svg.elements[0].number("height"), width = svg.elements[0].number("width")
        let entries = svg.withClass("legend-label")
        XCTAssertEqual(entries.count, 20)
        let ys = entries.map { $0.number("y") }
        XCTAssertTrue(ys.allSatisfy { $0 > 0 && $0 < height }, "legend inside the drawing")
        XCTAssertTrue(zip(ys, ys.dropFirst()).allSatisfy { $1 - $0 >= 14 }, "legend entries do not overlap")
        let longLabel = entries.last!.text
        XCTAssertEqual(longLabel.count, ChartStyle.maximumLabel)
        XCTAssertTrue(longLabel.hasPrefix("very_long_method") && longLabel.hasSuffix("…"))
        XCTAssertTrue(entries.allSatisfy { $0.number("x") + SVG.textWidth($0.text, size: 12) <= width + 1 }, "legend inside the width")
    }

    func testNiceTicksCoverTheData() {
        let s = ChartScale(covering: [0.13, 0.87], include: [0], pixels: (0, 100))
        XCTAssertEqual(s.ticks.first, 0); XCTAssertGreaterThanOrEqual(s.ticks.last!, 0.87)
        XCTAssertEqual(s.labels, s.ticks.map { String(format: "%.1f", $0) })
        XCTAssertEqual(s(s.low), 0); XCTAssertEqual(s(s.high), 100)
    }

    /// Long ONNX layer names lose the path parts they all share, so the sanity chart's axis
    /// labels fit; names without a slash stay.
    func testSanityAxisNamesDropSharedPathParts() {
        let names = ["logits", "/m/_blocks.14/_expand_conv/Conv_output_0", "/m/_blocks.9/_depthwise_conv/Conv_output_0", "/m/_conv_stem/Conv_output_0"]
        XCTAssertEqual(SanityChart.shortNames(names), ["logits", "_blocks.14/_expand_conv", "_blocks.9/_depthwise_conv", "_conv_stem"])
        XCTAssertEqual(SanityChart.shortNames(["logits", "block3.conv", "block2.conv"]), ["logits", "block3.conv", "block2.conv"])
        XCTAssertEqual(SanityChart.shortNames(["a/x", "b/x"]), ["a", "b"])
    }

    /// Metric columns named twice show the options that tell them apart; others stay as they are.
    func testShortLabelsForMetricIdColumns() {
        let a = "model_randomization@layers=all,mode=cascading", b = "model_randomization@layers=all,mode=independent"
        let labels = ExplainerName.shortLabels([a, b, "deletion", "x@k=1"])
        XCTAssertEqual(labels[a], "model_randomization (mode=cascading)")
        XCTAssertEqual(labels[b], "model_randomization (mode=independent)")
        XCTAssertEqual(labels["deletion"], "deletion")
        XCTAssertEqual(labels["x@k=1"], "x@k=1")
    }
}
