import Foundation

/// The mean perturbation curve per explainer of one curve metric (deletion, insertion, …):
/// x is the fraction of pixels perturbed (the first point unperturbed), y the model's score,
/// one line per explainer, controls grey and dashed, the legend beside the plot so it never
/// covers a curve. The title states which way the area under the curve should go.
enum CurveChart {
    static let width = 640.0, minimumHeight = 360.0

    static func svg(metric: String, curves: [String: ReportInput.Curves], higherIsBetter: Bool?, style: ChartStyle) -> String {
        let ids = style.explainers.filter { curves[$0] != nil } + curves.keys.filter { !style.explainers.contains($0) }.sorted()
        let means = ids.map { curves[$0]!.mean }
        let (left, top, bottom) = (62.0, 50.0, 50.0)
        let legendWidth = min(200, (ids.map { SVG.textWidth(style.look($0).label, size: 12) }.max() ?? 40) + 44)
        let right = width - legendWidth - 16
        // Taller when the legend (20 px an entry) needs it, so entries never run off the chart.
        let height = max(Self.minimumHeight, top + 8 + Double(ids.count) * ChartStyle.legendRow + bottom)
        let plotBottom = height - bottom
        let x = ChartScale(covering: [0, 1], tickCount: 5, pixels: (left, right))
        let y = ChartScale(covering: means.flatMap { $0 }, tickCount: 5, pixels: (plotBottom, top))
        var svg = SVG(width: width, height: height)
        let direction = higherIsBetter.map { ", area under the curve: \(ChartStyle.direction($0))" } ?? ""
        svg.text("\(metric) curves\(direction)", x: 12, y: 20, size: 15, weight: "bold", cls: "chart-title")
        svg.text("mean over samples; dashed grey = control", x: 12, y: 37, size: 11, fill: "#555")

        for (t, label) in zip(y.ticks, y.labels) {
            svg.line(x1: left, y1: y(t), x2: right, y2: y(t), stroke: "#e3e3e3", cls: "grid")
            svg.line(x1: left - 5, y1: y(t), x2: left, y2: y(t), stroke: "#444", cls: "tick")
            svg.text(label, x: left - 8, y: y(t) + 4, size: 11, anchor: "end", fill: "#333", cls: "tick-label")
        }
        for (t, label) in zip(x.ticks, x.labels) {
            svg.line(x1: x(t), y1: plotBottom, x2: x(t), y2: plotBottom + 5, stroke: "#444", cls: "tick")
            svg.text(label, x: x(t), y: plotBottom + 18, size: 11, anchor: "middle", fill: "#333", cls: "tick-label")
        }
        svg.line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, stroke: "#444", cls: "axis")
        svg.line(x1: left, y1: top, x2: left, y2: plotBottom, stroke: "#444", cls: "axis")
        svg.text("fraction of pixels perturbed", x: (left + right) / 2, y: plotBottom + 38, size: 12, anchor: "middle", fill: "#333")
        svg.text("model score", x: 16, y: (top + plotBottom) / 2, size: 12, anchor: "middle", fill: "#333", rotate: -90)

        // Controls first, so the methods' lines are drawn on top of them.
        for (id, mean) in zip(ids, means).sorted(by: { style.look($0.0).control && !style.look($1.0).control }) where mean.count > 1 {
            let look = style.look(id)
            let points = mean.enumerated().compactMap { j, v in v.isFinite ? (x(Double(j) / Double(mean.count - 1)), y(v)) : nil }
            svg.polyline(points, stroke: look.color, width: look.control ? 1.8 : 2.2, dash: look.dash, cls: "curve",
                         tooltip: "\(look.tooltip) — \(curves[id]!.rows.count) samples")
        }
        for (i, id) in ids.enumerated() {
            let look = style.look(id)
            let ly = top + 8 + Double(i) * ChartStyle.legendRow
            svg.line(x1: right + 16, y1: ly, x2: right + 42, y2: ly, stroke: look.color, width: 2.2, cls: "legend-line",
                     extra: look.dash.map { [("stroke-dasharray", $0)] } ?? [])
            svg.text(look.label, x: right + 48, y: ly + 4, size: 12, fill: "#222", cls: "legend-label", tooltip: look.tooltip)
        }
        return svg.render(title: "\(metric): mean curve per explainer against the fraction of pixels perturbed")
    }
}
