import Foundation

/// The method × metric rank table as a heat map: one row per explainer (best mean rank at the
/// top), one column per metric's main score plus the mean rank, each cell its rank (1 = best)
/// written in it and coloured on viridis from dark (best) to light (worst), so where a method
/// wins and where it loses reads at a glance.
enum RankHeatmap {
    static let cell = 46.0

    static func svg(input: ReportInput, style: ChartStyle, order: [String]) -> String {
        let metrics = input.metrics
        let columns = metrics + [ReportInput.meanRankMetric]
        let count = max(1, order.count)
        let labelWidth = min(220, (order.map { SVG.textWidth(style.look($0).label, size: 12) }.max() ?? 40) + 16)
        let shown = ExplainerName.shortLabels(metrics)
        func label(_ m: String) -> String { m == ReportInput.meanRankMetric ? "mean rank" : shown[m] ?? m }
        let headDepth = min(220, (columns.map { SVG.textWidth(label($0), size: 12) }.max() ?? 40) * 0.72 + 24)
        let (left, top) = (labelWidth + 8, 44 + headDepth)
        // Column labels lean right at 40°: leave room for the last one's horizontal extent.
        let lastLabel = SVG.textWidth(label(columns.last ?? ""), size: 12) * 0.77
        let width = max(420, left + (Double(columns.count) - 0.5) * cell + lastLabel + 24)
        let height = top + Double(order.count) * cell + 40
        var svg = SVG(width: width, height: height)
        svg.text("Rank per metric (1 = best)", x: 12, y: 20, size: 15, weight: "bold", cls: "chart-title")
        svg.text("each metric in its own direction; last column: mean rank", x: 12, y: 37, size: 11, fill: "#555")
        for (j, m) in columns.enumerated() {
            let cx = left + (Double(j) + 0.5) * cell
            svg.text(label(m), x: cx + 4, y: top - 8, size: 12, anchor: "start",
                     weight: m == ReportInput.meanRankMetric ? "bold" : nil, fill: "#222", rotate: -40, cls: "column-label")
        }
        for (i, id) in order.enumerated() {
            let look = style.look(id)
            let y0 = top + Double(i) * cell
            svg.text(look.label, x: left - 8, y: y0 + cell / 2 + 4, size: 12, anchor: "end", fill: look.control ? "#666" : "#222", cls: "row-label", tooltip: look.tooltip)
            for (j, m) in columns.enumerated() {
                let x0 = left + Double(j) * cell
                guard let r = input.row(id, m), let rank = r.rank else {
                    svg.rect(x: x0 + 1, y: y0 + 1, width: cell - 2, height: cell - 2, fill: "#f4f4f4", cls: "cell", tooltip: "\(look.label), \(m): no score")
                    svg.text("–", x: x0 + cell / 2, y: y0 + cell / 2 + 4, size: 12, anchor: "middle", fill: "#999")
                    continue
                }
                let t = count > 1 ? Double(rank - 1) / Double(count - 1) : 0
                let (cr, cg, cb) = Heatmap.viridis(Float(0.15 + 0.8 * t))
                let fill = String(format: "#%02x%02x%02x", Int(cr * 255), Int(cg * 255), Int(cb * 255))
                let dark = t < 0.6
                let tip = "\(look.label), \(m): rank \(rank), mean \(Markup.number(r.mean, digits: 4)) [\(Markup.number(r.low, digits: 4)), \(Markup.number(r.high, digits: 4))]"
                svg.rect(x: x0 + 1, y: y0 + 1, width: cell - 2, height: cell - 2, fill: fill, cls: "cell", tooltip: tip)
                let text = m == ReportInput.meanRankMetric ? Markup.number(r.mean, digits: 2) : String(rank)
                svg.text(text, x: x0 + cell / 2, y: y0 + cell / 2 + 5, size: 13, anchor: "middle", weight: "bold", fill: dark ? "#ffffff" : "#111111", cls: "cell-rank")
            }
        }
        return svg.render(title: "Rank of each explainer on each metric, 1 = best")
    }
}
