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

    /// What the two runs are called in the table: "A" and "B" by default; with names (`--names
    /// CNN,ViT`) the columns and the verdict say which run a score is from ("ViT better").
    public struct Names: Sendable, Equatable {
        public var a: String, b: String
        public init(a: String, b: String) { self.a = a; self.b = b }
        public static let letters = Names(a: "A", b: "B")
        var named: Bool { self != .letters }
    }

    static func cells(_ r: Row, _ n: Names) -> [String] {
        [r.metric + (r.higherIsBetter ? " ↑" : " ↓"), r.explainer, num(r.meanA), num(r.meanB), num(r.difference), String(r.shared), num(r.pHolm), verdict(r, n)]
    }
    static func titles(_ n: Names) -> [String] { ["metric", "explainer", n.a, n.b, "\(n.b) − \(n.a)", "n", "p (Holm)", n.named ? "verdict" : "change"] }

    /// The verdict as shown: "better"/"worse" (B against A), or with names the run that scored better.
    static func verdict(_ r: Row, _ n: Names) -> String {
        guard n.named else { return r.verdict }
        switch r.verdict {
        case "better": return "\(n.b) better"
        case "worse": return "\(n.a) better"
        case "no significant change": return "no significant difference"
        default: return r.verdict
        }
    }

    static func num(_ v: Double) -> String { Markup.number(v, digits: 4) }

    /// `notes`: lines printed under the table (explainers only one run has, say).
    public static func text(_ rows: [Row], a: String, b: String, names: Names = .letters, notes: [String] = []) -> String {
        let heads = titles(names)
        let table = [heads] + rows.map { cells($0, names) }
        let widths = heads.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = ["\(names.a) = \(a)", "\(names.b) = \(b)"]
        for (i, row) in table.enumerated() {
            lines.append(row.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return (2...6).contains(c) ? pad + s : s + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            if i == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("paired Wilcoxon signed-rank test on the samples both runs scored; ↑ higher is better, ↓ lower is better")
        return (lines + notes).joined(separator: "\n") + "\n"
    }

    public static func html(_ rows: [Row], a: String, b: String, names: Names = .letters, notes: [String] = []) -> String {
        func e(_ s: String) -> String { Markup.escape(s) }
        var h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<title>Probity comparison</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}"
        h += "table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        h += ".better{color:#1a7f37;font-weight:600}.worse{color:#cf222e;font-weight:600}.a{color:#0550ae;font-weight:600}.b{color:#8250df;font-weight:600}.same{color:#6e7781}code{font-size:90%}</style></head><body>"
        let heading = names.named ? "\(names.a) and \(names.b): the same explainers and metrics on the same samples" : "What changed between two runs"
        h += "<h1>\(e(heading))</h1><p>\(e(names.a)) = <code>\(e(a))</code><br>\(e(names.b)) = <code>\(e(b))</code></p><table><thead><tr>"
        h += titles(names).map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            let c = cells(r, names)
            let cls = r.verdict == "better" ? (names.named ? "b" : "better") : r.verdict == "worse" ? (names.named ? "a" : "worse") : "same"
            h += "<tr><td>\(e(c[0]))</td><td title=\"\(e(r.explainerA)) → \(e(r.explainerB))\">\(e(c[1]))</td>"
            h += c[2...6].map { "<td class=\"n\">\(e($0))</td>" }.joined() + "<td class=\"\(cls)\">\(e(c[7]))</td></tr>"
        }
        h += "</tbody></table><p>Paired Wilcoxon signed-rank test on the samples both runs scored, Holm-corrected over the table; ↑ higher is better, ↓ lower is better.</p>"
        h += notes.map { "<p>\(e($0))</p>" }.joined() + "</body></html>\n"
        return h
    }
}
