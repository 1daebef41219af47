import Foundation

/// The rows of `probity compare` and their writers: an aligned text table, CSV, and a
/// self-contained HTML page (escaped, no scripts, no network).
public enum Comparison {
    public struct Row: Sendable, Equatable {
        public var explainer, explainerA, explainerB, metric: String
        public var higherIsBetter: Bool
        public var meanA, meanB: Double
        public var shared: Int
        public var difference, p, pHolm: Double
        public var verdict: String
        public init(explainer: String, explainerA: String, explainerB: String, metric: String, higherIsBetter: Bool, meanA: Double, meanB: Double,
                    shared: Int, difference: Double, p: Double, pHolm: Double, verdict: String) {
            self.explainer = explainer; self.explainerA = explainerA; self.explainerB = explainerB; self.metric = metric
            self.higherIsBetter = higherIsBetter; self.meanA = meanA; self.meanB = meanB; self.shared = shared
            self.difference = difference; self.p = p; self.pHolm = pHolm; self.verdict = verdict
        }
    }

    public static let header = ["metric", "explainer", "explainer_a", "explainer_b", "higher_is_better", "mean_a", "mean_b", "n_shared", "difference", "p_value", "p_holm", "verdict"]

    public static func csv(_ rows: [Row]) -> String {
        CSV.text(header: header, rows: rows.map {
            [$0.metric, $0.explainer, $0.explainerA, $0.explainerB, String($0.higherIsBetter), CSV.number($0.meanA), CSV.number($0.meanB),
             String($0.shared), CSV.number($0.difference), CSV.number($0.p), CSV.number($0.pHolm), $0.verdict]
        })
    }

    static func cells(_ r: Row) -> [String] {
        [r.metric + (r.higherIsBetter ? " ↑" : " ↓"), r.explainer, num(r.meanA), num(r.meanB), num(r.difference), String(r.shared), num(r.pHolm), r.verdict]
    }
    static let titles = ["metric", "explainer", "A", "B", "B − A", "n", "p (Holm)", "change"]

    static func num(_ v: Double) -> String { Markup.number(v, digits: 4) }

    public static func text(_ rows: [Row], a: String, b: String) -> String {
        let table = [titles] + rows.map(cells)
        let widths = titles.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = ["A = \(a)", "B = \(b)"]
        for (i, row) in table.enumerated() {
            lines.append(row.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return (2...6).contains(c) ? pad + s : s + pad
            }.joined(separator: "  "))
            if i == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("paired Wilcoxon signed-rank test on the samples both runs scored; ↑ higher is better, ↓ lower is better")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func html(_ rows: [Row], a: String, b: String) -> String {
        func e(_ s: String) -> String { Markup.escape(s) }
        var h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>Probity comparison</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}"
        h += "table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        h += ".better{color:#1a7f37;font-weight:600}.worse{color:#cf222e;font-weight:600}code{font-size:90%}</style></head><body>"
        h += "<h1>What changed between two runs</h1><p>A = <code>\(e(a))</code><br>B = <code>\(e(b))</code></p><table><thead><tr>"
        h += titles.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            let c = cells(r)
            let cls = r.verdict == "better" ? "better" : r.verdict == "worse" ? "worse" : ""
            h += "<tr><td>\(e(c[0]))</td><td title=\"\(e(r.explainerA)) → \(e(r.explainerB))\">\(e(c[1]))</td>"
            h += c[2...6].map { "<td class=\"n\">\(e($0))</td>" }.joined() + "<td class=\"\(cls)\">\(e(c[7]))</td></tr>"
        }
        h += "</tbody></table><p>Paired Wilcoxon signed-rank test on the samples both runs scored, Holm-corrected over the table; ↑ higher is better, ↓ lower is better.</p></body></html>\n"
        return h
    }
}
