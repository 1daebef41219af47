import Foundation

/// A short GitHub-flavoured Markdown summary of a run, for pull-request comments and CI logs:
/// the verdict's headline, the mean-rank table, each metric's means with intervals (rank and
/// direction in the header), then the warnings. Names from data are escaped for Markdown
/// tables (`|`, backslashes, HTML angle brackets) so a hostile name cannot break the table or
/// inject HTML into a rendered comment.
public enum MarkdownSummary {
    public static func text(_ input: ReportInput) -> String {
        let verdict = Verdict(input)
        let charts = ReportCharts(input)
        let order = charts.order
        func label(_ id: String) -> String { cell(charts.style.look(id).label) + (ExplainerName(id).isControl ? " *(control)*" : "") }
        var s = "### Probity: explainer ranking\n\n\(cell(verdict.headline))\n\n"
        if !verdict.ranking.isEmpty {
            s += "| # | explainer | mean rank | 95 % CI |\n|---:|---|---:|---|\n"
            for r in verdict.ranking {
                s += "| \(r.rank.map(String.init) ?? "–") | \(label(r.explainer)) | \(Markup.number(r.mean)) | \(Markup.number(r.low)) – \(Markup.number(r.high)) |\n"
            }
            s += "\n"
        }
        let metrics = input.metrics
        if !metrics.isEmpty {
            s += "| explainer | " + metrics.map { m in
                let higher = input.summary.first { $0.metric == m && $0.variant == "" }?.higherIsBetter ?? true
                return "\(cell(m)) (\(higher ? "↑" : "↓"))"
            }.joined(separator: " | ") + " |\n"
            s += "|---|" + String(repeating: "---:|", count: metrics.count) + "\n"
            for id in order {
                s += "| \(label(id)) | " + metrics.map { m in
                    guard let r = input.row(id, m) else { return "–" }
                    let rank = r.rank.map { " (\($0))" } ?? ""
                    return "\(Markup.number(r.mean)) [\(Markup.number(r.low)), \(Markup.number(r.high))]\(rank)"
                }.joined(separator: " | ") + " |\n"
            }
            s += "\nMean [95 % CI] (rank); ↑ higher is better, ↓ lower is better.\n"
        }
        if !verdict.warnings.isEmpty {
            s += "\n**Warnings (\(verdict.warnings.count))**\n\n" + verdict.warnings.map { "- *\(cell(Verdict.explanation($0.kind).title))*: \(cell($0.message))\n" }.joined()
        }
        return s
    }

    /// `s` safe inside a Markdown table cell and as inline text.
    static func cell(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "|": out += "\\|"
            case "\\": out += "\\\\"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r": out += " "
            case "*", "_", "`", "[", "]": out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out
    }
}
