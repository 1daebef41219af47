import Foundation

/// One metric's scores as horizontal bars: the mean per explainer with its 95 % bootstrap
/// interval as a whisker, best first, the direction ("higher is better") in the title, controls
/// hatched grey. Horizontal, so method names read without rotation; bars start at 0 so their
/// lengths compare honestly.
enum BarChart {
    static let rowHeight = 26.0, barHeight = 16.0, width = 640.0

    /// The SVG for `rows` (one metric and variant, any order).
    static func svg(metric: String, variant: String, rows: [SummaryRow], style: ChartStyle) -> String {
        let rows = rows.sorted { a, b in
            switch (a.rank, b.rank) {
            case let (x?, y?) where x != y: return x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return style.explainers.firstIndex(of: a.explainer) ?? 0 < style.explainers.firstIndex(of: b.explainer) ?? 0
            }
        }
        let higher = rows.first?.higherIsBetter ?? true
        let name = variant.isEmpty ? metric : "\(metric) (\(variant))"
        let labelWidth = min(220, (rows.map { SVG.textWidth(style.look($0.explainer).label, size: 12) }.max() ?? 40) + 14)
        let valueWidth = 64.0
        let (top, bottom) = (54.0, 46.0)
        let left = labelWidth + 10, right = width - valueWidth - 10
        let height = top + Double(rows.count) * rowHeight + bottom
        let scale = ChartScale(covering: rows.flatMap { [$0.mean, $0.low, $0.high] }, include: [0], tickCount: 5, pixels: (left, right))
        var svg = SVG(width: width, height: height)
        style.hatchPatterns().forEach { svg.define($0) }
        svg.text("\(name) — \(ChartStyle.direction(higher))", x: 12, y: 20, size: 15, weight: "bold", cls: "chart-title")
        svg.text("mean with 95 % bootstrap CI, best first; hatched grey = control", x: 12, y: 38, size: 11, fill: "#555")

        let plotBottom = top + Double(rows.count) * rowHeight
        for (t, label) in zip(scale.ticks, scale.labels) {
            let x = scale(t)
            svg.line(x1: x, y1: top - 4, x2: x, y2: plotBottom, stroke: t == 0 ? "#888" : "#e3e3e3", width: 1, cls: t == 0 ? "zero" : "grid")
            svg.line(x1: x, y1: plotBottom, x2: x, y2: plotBottom + 5, stroke: "#444", cls: "tick")
            svg.text(label, x: x, y: plotBottom + 18, size: 11, anchor: "middle", fill: "#333", cls: "tick-label")
        }
        svg.line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, stroke: "#444", cls: "axis")
        svg.text("\(metric) score", x: (left + right) / 2, y: plotBottom + 36, size: 12, anchor: "middle", fill: "#333")
        svg.text("mean", x: width - 12, y: top - 8, size: 10, anchor: "end", fill: "#777")

        for (i, r) in rows.enumerated() {
            let look = style.look(r.explainer)
            let yMid = top + (Double(i) + 0.5) * rowHeight
            let tip = "\(look.tooltip)\nmean \(Markup.number(r.mean, digits: 4)), 95 % CI [\(Markup.number(r.low, digits: 4)), \(Markup.number(r.high, digits: 4))], n = \(r.n)"
            svg.text(look.label, x: left - 8, y: yMid + 4, size: 12, anchor: "end", fill: look.control ? "#666" : "#222", cls: "bar-label", tooltip: tip)
            if r.mean.isFinite {
                let x0 = scale(0), x1 = scale(r.mean)
                svg.rect(x: min(x0, x1), y: yMid - barHeight / 2, width: abs(x1 - x0), height: barHeight, fill: style.barFill(r.explainer), cls: "bar",
                         extra: look.control ? [("stroke", look.color), ("stroke-width", "1")] : [], tooltip: tip)
            }
            if r.low.isFinite, r.high.isFinite {
                let (xl, xh) = (scale(r.low), scale(r.high))
                svg.line(x1: xl, y1: yMid, x2: xh, y2: yMid, stroke: "#111", width: 1.5, cls: "whisker")
                svg.line(x1: xl, y1: yMid - 5, x2: xl, y2: yMid + 5, stroke: "#111", width: 1.5, cls: "whisker-low")
                svg.line(x1: xh, y1: yMid - 5, x2: xh, y2: yMid + 5, stroke: "#111", width: 1.5, cls: "whisker-high")
            }
            svg.text(Markup.number(r.mean), x: width - 12, y: yMid + 4, size: 11, anchor: "end", fill: "#333", cls: "value")
        }
        return svg.render(title: "\(name): mean per explainer with 95 % CI, \(ChartStyle.direction(higher))")
    }
}
