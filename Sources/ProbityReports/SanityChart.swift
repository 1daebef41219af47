import Foundation

/// The sanity-check figure of Adebayo et al. 2018 (Fig. 2): the similarity between each
/// explainer's maps on the trained model and on copies with more and more layers randomized,
/// one line per explainer, "original" (similarity 1 by definition) at the left and the layers
/// in the order the run randomized them (for the cascading mode, from the output down). A
/// method that passes drops towards 0; one that stays near 1 ignores the model. Drawn from the
/// `<layer>/<measure>` variants of the summary rows, one chart per measure.
enum SanityChart {
    static let width = 640.0, minimumHeight = 380.0

    /// The similarity measures that have per-layer variants in `rows`, in first-appearance order.
    static func measures(_ rows: [SummaryRow]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for r in rows { if let m = split(r.variant)?.measure, seen.insert(m).inserted { out.append(m) } }
        return out
    }

    /// `block3.conv/spearman` → (layer, measure); a variant without a layer → nil.
    static func split(_ variant: String) -> (layer: String, measure: String)? {
        guard let slash = variant.lastIndex(of: "/") else { return nil }
        return (String(variant[..<slash]), String(variant[variant.index(after: slash)...]))
    }

    /// The chart for one `measure` of the summary `rows` of one sanity metric.
    /// `mode` is the metric's `mode` option from the run record (`cascading`, `independent`),
    /// nil when unknown; it only changes the axis title.
    /// Layer names as the axis shows them: ONNX output names share long path parts
    /// (`/m/_blocks.14/_expand_conv/Conv_output_0`); the parts every slash-separated name shares at
    /// its start and at its end are dropped (`_blocks.14/_expand_conv`). Names without a slash
    /// (`logits`) stay as they are.
    static func shortNames(_ names: [String]) -> [String] {
        let paths = names.filter { $0.contains("/") }.map { $0.split(separator: "/", omittingEmptySubsequences: false).map(String.init) }
        guard paths.count >= 2 else { return names }
        var head = 0, tail = 0
        let shortest = paths.map(\.count).min()!
        while head < shortest - 1 && Set(paths.map { $0[head] }).count == 1 { head += 1 }
        while tail < shortest - 1 - head && Set(paths.map { $0[$0.count - 1 - tail] }).count == 1 { tail += 1 }
        return names.map { name in
            guard name.contains("/") else { return name }
            let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            return parts[head..<(parts.count - tail)].joined(separator: "/")
        }
    }

    static func svg(metric: String, measure: String, rows: [SummaryRow], style: ChartStyle, mode: String? = nil) -> String {
        var layers: [String] = []
        var values: [String: [String: SummaryRow]] = [:]  // explainer → layer → row
        for r in rows {
            guard let (layer, m) = split(r.variant), m == measure else { continue }
            if !layers.contains(layer) { layers.append(layer) }
            values[r.explainer, default: [:]][layer] = r
        }
        let ids = style.explainers.filter { values[$0] != nil }
        let categories = ["original"] + SanityChart.shortNames(layers)
        let (left, top) = (62.0, 50.0)
        let labelDepth = min(110, (categories.map { SVG.textWidth($0, size: 11) }.max() ?? 30) * 0.72 + 20)
        let legendWidth = min(200, (ids.map { SVG.textWidth(style.look($0).label, size: 12) }.max() ?? 40) + 44)
        let right = width - legendWidth - 16
        // Taller when the legend (20 px an entry) needs it, so entries never run off the chart.
        let height = max(Self.minimumHeight, top + 8 + Double(ids.count) * ChartStyle.legendRow + labelDepth + 30)
        let plotBottom = height - labelDepth - 30
        let step = categories.count > 1 ? (right - left - 20) / Double(categories.count - 1) : 0
        func x(_ i: Int) -> Double { left + 10 + Double(i) * step }
        let y = ChartScale(covering: values.values.flatMap { $0.values.flatMap { [$0.mean, $0.low, $0.high] } }, include: [0, 1], tickCount: 5,
                           pixels: (plotBottom, top))
        var svg = SVG(width: width, height: height)
        // A suite that names the check twice has id columns; the title names the check and its mode.
        let shown = metric.contains("@") ? "\(metric.prefix { $0 != "@" })\(mode.map { " (\($0))" } ?? "")" : metric
        svg.text("\(shown): \(measure) similarity to the original maps", x: 12, y: 20, size: 15, weight: "bold", cls: "chart-title")
        svg.text("layers randomized left to right; lower is better (maps should change); bars = 95 % CI", x: 12, y: 37, size: 11, fill: "#555")
        for (t, label) in zip(y.ticks, y.labels) {
            svg.line(x1: left, y1: y(t), x2: right, y2: y(t), stroke: t == 0 ? "#aaa" : "#e3e3e3", cls: "grid")
            svg.text(label, x: left - 8, y: y(t) + 4, size: 11, anchor: "end", fill: "#333", cls: "tick-label")
        }
        svg.line(x1: left, y1: top, x2: left, y2: plotBottom, stroke: "#444", cls: "axis")
        svg.line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, stroke: "#444", cls: "axis")
        for (i, c) in categories.enumerated() {
            svg.line(x1: x(i), y1: plotBottom, x2: x(i), y2: plotBottom + 5, stroke: "#444", cls: "tick")
            svg.text(c, x: x(i) + 4, y: plotBottom + 16, size: 11, anchor: "end", fill: i == 0 ? "#000" : "#333", rotate: -40, cls: "tick-label")
        }
        let axisTitle = switch mode {
        case "cascading": "layers randomized from the output down to this one (cascading)"
        case "independent": "layer randomized (one at a time)"
        default: "randomized layer, in the run's order"
        }
        svg.text(axisTitle, x: (left + right) / 2, y: height - 10, size: 12, anchor: "middle", fill: "#333")
        svg.text("\(measure) similarity", x: 16, y: (top + plotBottom) / 2, size: 12, anchor: "middle", fill: "#333", rotate: -90)

        for id in ids.sorted(by: { style.look($0).control && !style.look($1).control }) {
            let look = style.look(id)
            var points = [(x(0), y(1))]
            for (i, layer) in layers.enumerated() {
                guard let r = values[id]?[layer], r.mean.isFinite else { continue }
                points.append((x(i + 1), y(r.mean)))
                if r.low.isFinite, r.high.isFinite {
                    svg.line(x1: x(i + 1), y1: y(r.low), x2: x(i + 1), y2: y(r.high), stroke: look.color, width: 1, cls: "whisker")
                }
            }
            svg.polyline(points, stroke: look.color, width: look.control ? 1.8 : 2.2, dash: look.dash, cls: "sanity-line", tooltip: look.tooltip)
        }
        for (i, id) in ids.enumerated() {
            let look = style.look(id)
            let ly = top + 8 + Double(i) * ChartStyle.legendRow
            svg.line(x1: right + 16, y1: ly, x2: right + 42, y2: ly, stroke: look.color, width: 2.2, cls: "legend-line",
                     extra: look.dash.map { [("stroke-dasharray", $0)] } ?? [])
            svg.text(look.label, x: right + 48, y: ly + 4, size: 12, fill: "#222", cls: "legend-label", tooltip: look.tooltip)
        }
        return svg.render(title: "\(metric): \(measure) similarity between original and randomized-model maps, per explainer")
    }
}
