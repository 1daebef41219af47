import Foundation

/// Every chart of a report, made once from the input so `charts/*.svg` and the SVG inlined in
/// `report.html` are the same drawing: a bar chart per metric (main score), the mean curves per
/// curve metric, the sanity-check figure per similarity measure, and the rank heat map.
struct ReportCharts {
    struct Chart {
        enum Kind: Equatable { case bars(metric: String), curves(metric: String), sanity(metric: String, measure: String), ranks }
        let kind: Kind
        /// The file name under `charts/`, from the metric name with unsafe characters replaced.
        let fileName: String
        /// The standalone SVG document.
        let svg: String
    }

    let charts: [Chart]
    let style: ChartStyle
    /// Explainers by mean rank (best first), then any without one in summary order.
    let order: [String]

    init(_ input: ReportInput) {
        let explainers = input.explainers
        let ranked = input.summary.filter { $0.metric == ReportInput.meanRankMetric && $0.variant == "" && $0.mean.isFinite }
            .sorted { ($0.mean, $0.explainer) < ($1.mean, $1.explainer) }.map(\.explainer)
        order = ranked + explainers.filter { !ranked.contains($0) }
        style = ChartStyle(explainers: order)
        var charts: [Chart] = []
        var used = Set<String>()
        func name(_ base: String) -> String {
            var n = ReportCharts.fileSafe(base), i = 2
            while !used.insert(n).inserted { n = ReportCharts.fileSafe(base) + "_\(i)"; i += 1 }
            return n + ".svg"
        }
        for metric in input.metrics {
            let rows = input.summary.filter { $0.metric == metric && $0.variant == "" }
            charts.append(Chart(kind: .bars(metric: metric), fileName: name("bars_" + metric), svg: BarChart.svg(metric: metric, variant: "", rows: rows, style: style)))
        }
        for metric in input.metrics + input.curves.keys.filter({ !input.metrics.contains($0) }).sorted() {
            guard let curves = input.curves[metric], !curves.isEmpty else { continue }
            let higher = input.summary.first { $0.metric == metric }?.higherIsBetter
            charts.append(Chart(kind: .curves(metric: metric), fileName: name("curves_" + metric), svg: CurveChart.svg(metric: metric, curves: curves, higherIsBetter: higher, style: style)))
        }
        for metric in input.metrics where Verdict.isSanity(metric) {
            let rows = input.summary.filter { $0.metric == metric }
            let id = metric.contains("@") ? metric : input.run?.metrics.first { ExplainerName($0).name == metric }
            let mode = id.map(ExplainerName.init)?.options.first { $0.key == "mode" }?.value
            for measure in SanityChart.measures(rows) {
                charts.append(Chart(kind: .sanity(metric: metric, measure: measure), fileName: name("sanity_\(metric)_\(measure)"),
                                    svg: SanityChart.svg(metric: metric, measure: measure, rows: rows, style: style, mode: mode)))
            }
        }
        if !input.metrics.isEmpty, !order.isEmpty {
            charts.append(Chart(kind: .ranks, fileName: name("ranks"), svg: RankHeatmap.svg(input: input, style: style, order: order)))
        }
        self.charts = charts
    }

    /// `s` with every character outside `[A-Za-z0-9_.-]` replaced by `_`, and no leading dot.
    static func fileSafe(_ s: String) -> String {
        var out = String(s.unicodeScalars.map { c -> Character in
            (c.isASCII && (CharacterSet.alphanumerics.contains(c) || "_.-".unicodeScalars.contains(c))) ? Character(c) : "_"
        })
        while out.hasPrefix(".") { out.removeFirst() }
        return out.isEmpty ? "_" : out
    }
}
