import Foundation

/// `report.html`: one self-contained file (inline SVG, PNGs as data: URIs, CSS in the head, no
/// script, no external reference) that opens offline and survives being mailed or attached to
/// a ticket. Sections in reading order: the verdict (best explainer, how sure, warnings), the
/// scores per metric with intervals and significant pairwise differences, bar charts, curves,
/// sanity checks, the rank heat map, metric reliability, heatmap overlays, provenance, and the
/// explainers' options as footnotes. Every string from data is escaped.
enum HTMLReport {
    static func render(_ input: ReportInput, verdict: Verdict, charts: ReportCharts, heatmaps: ReportHeatmaps, png: [String: Data]) -> String {
        let order = charts.order
        let style = charts.style
        var footnotes: [String: Int] = [:]
        for id in order where !ExplainerName(id).options.isEmpty { footnotes[id] = footnotes.count + 1 }
        /// An explainer's short label, its options as a tooltip and a footnote mark.
        func name(_ id: String) -> String {
            let look = style.look(id)
            var s = "<span class=\"explainer\(look.control ? " control" : "")\" title=\"\(Markup.escape(look.tooltip))\">\(Markup.escape(look.label))</span>"
            if let n = footnotes[id] { s += "<sup><a href=\"#fn-\(n)\">\(n)</a></sup>" }
            return s
        }
        func e(_ s: String) -> String { Markup.escape(s) }
        func num(_ v: Double) -> String { Markup.number(v) }
        func ci(_ r: SummaryRow) -> String { "\(num(r.low)) – \(num(r.high))" }
        func inline(_ svg: String) -> String { svg.replacingOccurrences(of: " xmlns=\"http://www.w3.org/2000/svg\"", with: "") }
        func chartFigures(_ select: (ReportCharts.Chart.Kind) -> Bool) -> String {
            let figs = charts.charts.filter { select($0.kind) }
            return "<div class=\"grid\">" + figs.map { "<figure>\(inline($0.svg))<figcaption>charts/\(e($0.fileName))</figcaption></figure>" }.joined() + "</div>"
        }
        func image(_ f: ReportHeatmaps.Figure, alt: String) -> String {
            let data = png[f.fileName].map { $0.base64EncodedString() } ?? ""
            let fig = f.figure
            let tip = "\(alt) — \(fig.colormap), \(Markup.number(Double(fig.low))) to \(Markup.number(Double(fig.high)))"
            return "<img class=\"hm\" src=\"data:image/png;base64,\(data)\" width=\"\(fig.image.width)\" height=\"\(fig.image.height)\" alt=\"\(e(alt))\" title=\"\(e(tip))\">"
        }

        let samples = Set(input.perSample.map(\.sample)).count
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Probity report</title>
        <style>\(css)</style>
        </head><body><main>
        <h1>Explainer evaluation report</h1>

        """
        if let run = input.run {
            h += "<p class=\"sub\">Model <code>\(e(run.model.path))</code> on <code>\(e(run.dataset.path))</code>"
            h += samples > 0 ? ", \(samples) samples" : ""
            h += ", \(order.count) explainers, \(input.metrics.count) metrics, seed \(run.seed). Probity \(e(run.probityVersion)).</p>\n"
        }

        // Verdict.
        h += "<section id=\"verdict\"><h2>Verdict</h2>\n<p class=\"headline\">\(e(verdict.headline))</p>\n"
        if !verdict.ranking.isEmpty {
            h += "<div class=\"scroll\"><table><thead><tr><th>#</th><th>explainer</th><th>mean rank</th><th>95 % CI</th></tr></thead><tbody>\n"
            for r in verdict.ranking {
                h += "<tr><td>\(r.rank.map(String.init) ?? "–")</td><td>\(name(r.explainer))</td><td class=\"num\">\(num(r.mean))</td><td class=\"num\">\(ci(r))</td></tr>\n"
            }
            h += "</tbody></table></div>\n<p class=\"note\">Mean over the \(input.metrics.count) metrics of each explainer's rank (1 = best); the interval re-ranks bootstrap resamples of the samples. Grey names are controls every method should beat.</p>\n"
        }
        if verdict.warnings.isEmpty {
            h += "<p class=\"ok\">No warnings: every method beats the controls, no metric saturates or fails to separate the methods, every sample was scored, and no method fails a sanity check.</p>\n"
        } else {
            h += "<h3>Warnings (\(verdict.warnings.count))</h3>\n"
            for kind in [Verdict.Kind.sanityFailed, .controlTies, .saturated, .indistinct, .missingScores] {
                let ws = verdict.warnings.filter { $0.kind == kind }
                guard !ws.isEmpty else { continue }
                let (title, why) = Verdict.explanation(kind)
                h += "<h4>\(e(title)) (\(ws.count))</h4><p class=\"why\">\(e(why))</p><ul class=\"warn\">" + ws.map { "<li>\(e($0.message))</li>" }.joined() + "</ul>\n"
            }
        }
        h += "</section>\n"

        // Scores per metric.
        h += "<section id=\"scores\"><h2>Scores per metric</h2>\n<p class=\"note\">Mean with a 95 % bootstrap interval; rank 1 is best in the metric's direction; “significantly better than” lists the explainers it beats in a paired Wilcoxon test with Holm's correction (p<sub>Holm</sub> &lt; 0.05) on this metric.</p>\n"
        for metric in input.metrics {
            let rows = input.summary.filter { $0.metric == metric && $0.variant == "" }
                .sorted { ($0.rank ?? Int.max, order.firstIndex(of: $0.explainer) ?? 0) < ($1.rank ?? Int.max, order.firstIndex(of: $1.explainer) ?? 0) }
            guard let first = rows.first else { continue }
            h += "<h3>\(e(metric)) <span class=\"dir\">\(e(ChartStyle.direction(first.higherIsBetter)))</span></h3>\n"
            h += "<div class=\"scroll\"><table><thead><tr><th>rank</th><th>explainer</th><th>mean</th><th>95 % CI</th><th>n</th><th>significantly better than</th></tr></thead><tbody>\n"
            for r in rows {
                let wins = input.pairwise.filter { $0.metric == metric && $0.variant == "" && $0.better == r.explainer && ($0.a == r.explainer || $0.b == r.explainer) }
                let beaten = wins.map { w -> String in
                    let other = w.a == r.explainer ? w.b : w.a
                    return "<span title=\"p_Holm = \(e(Markup.number(w.pHolm, digits: 2)))\">\(e(style.look(other).label))</span>"
                }
                h += "<tr><td>\(r.rank.map(String.init) ?? "–")</td><td>\(name(r.explainer))</td><td class=\"num\">\(num(r.mean))</td><td class=\"num\">\(ci(r))</td><td class=\"num\">\(r.n)</td><td>\(beaten.isEmpty ? "–" : beaten.joined(separator: ", "))</td></tr>\n"
            }
            h += "</tbody></table></div>\n"
        }
        h += "</section>\n"

        h += "<section id=\"charts\"><h2>Charts</h2>\n" + chartFigures { if case .bars = $0 { return true }; return false } + "</section>\n"
        if charts.charts.contains(where: { if case .curves = $0.kind { return true }; return false }) {
            h += "<section id=\"curves\"><h2>Perturbation curves</h2>\n" + chartFigures { if case .curves = $0 { return true }; return false } + "</section>\n"
        }
        let hasSanity = charts.charts.contains { if case .sanity = $0.kind { return true }; return false }
        if hasSanity || !heatmaps.sanityRows.isEmpty {
            h += "<section id=\"sanity\"><h2>Sanity checks</h2>\n<p class=\"note\">Similarity of each explainer's maps to those of the same model with more and more layers re-initialized (Adebayo et al. 2018). A method that explains the model should drop towards 0; controls ignore the model and stay at 1.</p>\n"
            h += chartFigures { if case .sanity = $0 { return true }; return false }
            if !heatmaps.sanityRows.isEmpty {
                h += "<div class=\"scroll\"><table class=\"maps\"><tbody>\n"
                for row in heatmaps.sanityRows {
                    let colormap = row.maps.first?.figure.figure.colormap ?? ""
                    h += "<tr><th class=\"rowname\">\(name(row.explainer))<div class=\"cap\">\(e(colormap)), each map scaled alone</div></th>" + row.maps.map { "<td>\(image($0.figure, alt: "\(style.look(row.explainer).label), \($0.label)"))<div class=\"cap\">\(e($0.label))</div></td>" }.joined() + "</tr>\n"
                }
                h += "</tbody></table></div>\n"
            }
            h += "</section>\n"
        }
        h += "<section id=\"ranks\"><h2>Ranks</h2>\n" + chartFigures { $0 == .ranks } + "</section>\n"

        // Reliability.
        let alphas = input.reliability.filter { $0.kind == "inter_rater" && $0.variant == "" }
        let agreements = input.reliability.filter { $0.kind == "inter_method" }
        if !alphas.isEmpty || !agreements.isEmpty {
            h += "<section id=\"reliability\"><h2>Metric reliability</h2>\n<p class=\"note\">Krippendorff's α (ordinal): do samples agree on the order of the methods? Below \(num(Verdict.minimumAlpha)) the metric's ranking is close to noise. Metric agreement: mean Spearman correlation between two metrics' rankings over samples (Tomsett et al. 2020).</p>\n"
            if !alphas.isEmpty {
                h += "<div class=\"scroll\"><table><thead><tr><th>metric</th><th>α</th><th>samples</th></tr></thead><tbody>\n"
                for a in alphas { h += "<tr><td>\(e(a.metric))</td><td class=\"num\(a.value < Verdict.minimumAlpha ? " bad" : "")\">\(num(a.value))</td><td class=\"num\">\(a.n)</td></tr>\n" }
                h += "</tbody></table></div>\n"
            }
            if !agreements.isEmpty {
                var ms: [String] = []
                for a in agreements { for m in [a.metric, a.otherMetric] where !ms.contains(m) { ms.append(m) } }
                h += "<div class=\"scroll\"><table><thead><tr><th>agreement</th>" + ms.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>\n"
                for m in ms {
                    h += "<tr><th>\(e(m))</th>" + ms.map { o -> String in
                        if o == m { return "<td class=\"num\">1</td>" }
                        let v = agreements.first { ($0.metric == m && $0.otherMetric == o) || ($0.metric == o && $0.otherMetric == m) }?.value
                        return "<td class=\"num\">\(v.map(num) ?? "–")</td>"
                    }.joined() + "</tr>\n"
                }
                h += "</tbody></table></div>\n"
            }
            h += "</section>\n"
        }

        // Overlays: one row per explainer, one column per sample (explainers outnumber the
        // samples shown, and rows scroll down where columns would run off the page).
        if !heatmaps.overlays.isEmpty {
            var sampleOrder: [Int] = [], rowsOrder: [String] = []
            for o in heatmaps.overlays {
                if !sampleOrder.contains(o.sample) { sampleOrder.append(o.sample) }
                if !rowsOrder.contains(o.explainer) { rowsOrder.append(o.explainer) }
            }
            rowsOrder.sort { (order.firstIndex(of: $0) ?? Int.max, $0) < (order.firstIndex(of: $1) ?? Int.max, $1) }
            h += "<section id=\"overlays\"><h2>Heatmaps</h2>\n<p class=\"note\">Each map over its image (gray), explainers by mean rank. VIRIDIS for magnitudes (from the minimum to the 99.5th percentile), BLUE-WHITE-RED for signed maps (±99.5th percentile of |value|, white = 0); the numbers at the colour bar are its ends.</p>\n"
            h += "<div class=\"scroll\"><table class=\"maps\"><thead><tr><th></th>" + sampleOrder.map { "<th>sample \($0)</th>" }.joined() + "</tr></thead><tbody>\n"
            for id in rowsOrder {
                h += "<tr><th class=\"rowname\">\(name(id))</th>"
                for s in sampleOrder {
                    if let o = heatmaps.overlays.first(where: { $0.sample == s && $0.explainer == id }) {
                        h += "<td>\(image(o.figure, alt: "sample \(s), \(style.look(id).label)"))\(o.layer.map { "<div class=\"cap\">layer \(e($0))</div>" } ?? "")</td>"
                    } else { h += "<td>–</td>" }
                }
                h += "</tr>\n"
            }
            h += "</tbody></table></div></section>\n"
        }

        // Provenance.
        if let run = input.run {
            h += "<section id=\"provenance\"><h2>Provenance</h2>\n<div class=\"scroll\"><table class=\"kv\"><tbody>\n"
            var kv: [(String, String)] = [("Probity", run.probityVersion)]
            if let c = run.command { kv.append(("command", c)) }
            kv += [("model", "\(run.model.path)\nSHA-256 \(run.model.sha256)"), ("dataset", "\(run.dataset.path)\nSHA-256 \(run.dataset.sha256)")]
            if let a = run.attributions { kv.append(("attributions", a)) }
            kv.append(("seed", String(run.seed)))
            if let t = run.target { kv.append(("target", t)) }
            if let s = run.seconds { kv.append(("seconds", Markup.number(s, digits: 3))) }
            if let m = run.machine {
                kv.append(("machine", [m.os, m.cores.map { "\($0) cores" }, m.memoryBytes.map { "\(Markup.number(Double($0) / 1_073_741_824, digits: 3)) GiB" }].compactMap { $0 }.joined(separator: ", ")))
            }
            for (k, v) in kv { h += "<tr><th>\(e(k))</th><td><code>\(e(v).replacingOccurrences(of: "\n", with: "<br>"))</code></td></tr>\n" }
            if !run.metrics.isEmpty { h += "<tr><th colspan=\"2\" class=\"group\">metrics and their options</th></tr>\n" }
            for m in run.metrics {
                let n = ExplainerName(m)  // metric ids have the explainer id's `name@options` form
                h += "<tr><th>\(e(n.name))</th><td><code>\(e(n.optionText.isEmpty ? "defaults" : n.optionText))</code></td></tr>\n"
            }
            h += "</tbody></table></div>\n"
            if !run.timings.isEmpty {
                h += "<details><summary>Timings (\(run.timings.count))</summary><div class=\"scroll\"><table><thead><tr><th>explainer</th><th>metric</th><th>seconds</th><th>samples</th></tr></thead><tbody>\n"
                for t in run.timings {
                    h += "<tr><td>\(name(t.explainer))</td><td>\(e(ExplainerName(t.metric).name))</td><td class=\"num\">\(Markup.number(t.seconds, digits: 3))</td><td class=\"num\">\(t.samples)</td></tr>\n"
                }
                h += "</tbody></table></div></details>\n"
            }
            h += "</section>\n"
        }

        // Footnotes: explainer options.
        if !footnotes.isEmpty {
            h += "<section id=\"notes\"><h2>Explainer options</h2><ol class=\"fn\">\n"
            for id in order { if let n = footnotes[id] { h += "<li id=\"fn-\(n)\"><b>\(e(style.look(id).label))</b>: <code>\(e(ExplainerName(id).optionText))</code></li>\n" } }
            h += "</ol></section>\n"
        }
        h += "</main></body></html>\n"
        return h
    }

    static let css = """
    body{margin:0;background:#fafafa;color:#1d1d1d;font:15px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
    main{max-width:1360px;margin:0 auto;padding:16px 16px 48px;background:#fff}
    h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid #e5e5e5}
    h3{font-size:16px;margin:18px 0 6px}h4{font-size:14px;margin:14px 0 2px;color:#8a3b00}.why{margin:0 0 2px;font-size:13px;color:#555}
    .sub{color:#555;margin-top:0}.note{color:#555;font-size:13px}.headline{font-size:17px;font-weight:600;background:#eef4fb;border-left:4px solid #0072B2;padding:8px 12px}
    .ok{background:#eef8f0;border-left:4px solid #009E73;padding:8px 12px}
    ul.warn{margin:4px 0 8px;padding-left:20px}ul.warn li{margin:3px 0;font-size:14px}
    .dir{font-weight:normal;color:#555;font-size:13px;margin-left:6px}
    .scroll{overflow-x:auto;max-width:100%}
    table{border-collapse:collapse;margin:6px 0;font-size:14px}
    th,td{border-bottom:1px solid #e5e5e5;padding:4px 10px;text-align:left;vertical-align:top}
    thead th{border-bottom:2px solid #bbb;background:#f6f6f6}
    td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.bad{color:#b00020;font-weight:600}
    .explainer{white-space:nowrap}.control{color:#777;font-style:italic}
    sup a{text-decoration:none;color:#0072B2;font-size:11px;margin-left:1px}
    .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:14px}
    figure{margin:0;border:1px solid #eee;padding:6px;background:#fff;overflow-x:auto}figure svg{min-width:480px}figcaption{font-size:11px;color:#888}
    svg{max-width:100%;height:auto;display:block}
    table.maps td,table.maps th{border:none;padding:2px;text-align:center;vertical-align:middle}table.maps th.rowname{text-align:right;font-size:13px}
    img.hm{image-rendering:pixelated;max-width:none;display:block;margin:0}
    .cap{font-size:11px;color:#666}
    table.kv th{min-width:6em}table.kv th.group{background:#f6f6f6;font-weight:600}code{font-size:12.5px;overflow-wrap:anywhere}
    ol.fn{font-size:13px;color:#444}details{margin:8px 0}
    """
}
