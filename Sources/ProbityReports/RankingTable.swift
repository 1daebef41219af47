import Foundation
import ProbityMetrics

/// The ranking as an aligned text table for the terminal: one row per explainer, best mean
/// rank first; per metric (main score) the mean ± half the 95 % interval and the rank in
/// brackets; the direction under each metric's name; the options of each explainer as a
/// footnote. `labels` maps explainer keys to short names and option notes.
public enum RankingTable {
    public static func text(_ summary: [Summary.Row], labels: [String: (name: String, note: String)]) -> String {
        let mains = summary.filter { $0.variant.isEmpty && $0.metric != "mean_rank" }
        var metrics: [String] = []
        for r in mains where !metrics.contains(r.metric) { metrics.append(r.metric) }
        var explainers: [String] = []
        for r in mains where !explainers.contains(r.explainer) { explainers.append(r.explainer) }
        let meanRank = Dictionary(summary.filter { $0.metric == "mean_rank" }.map { ($0.explainer, $0) }, uniquingKeysWith: { a, _ in a })
        explainers.sort { (meanRank[$0]?.mean ?? .infinity, $0) < (meanRank[$1]?.mean ?? .infinity, $1) }
        let cell = Dictionary(mains.map { ("\($0.explainer)\n\($0.metric)", $0) }, uniquingKeysWith: { a, _ in a })
        var notes: [String] = []
        var header = ["explainer"], second = [""]
        if !meanRank.isEmpty { header.append("mean rank"); second.append("lower better") }
        for m in metrics {
            header.append(m)
            second.append((mains.first { $0.metric == m }?.higherIsBetter ?? true) ? "higher better" : "lower better")
        }
        var rows: [[String]] = []
        for e in explainers {
            let label = labels[e] ?? (name: e, note: "")
            var name = label.name
            if !label.note.isEmpty { notes.append(label.note); name += " [\(notes.count)]" }
            var row = [name]
            if !meanRank.isEmpty { row.append(meanRank[e].map { format($0, rank: false) } ?? "—") }
            for m in metrics { row.append(cell["\(e)\n\(m)"].map { format($0, rank: true) } ?? "—") }
            rows.append(row)
        }
        let table = [header, second] + rows
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var lines = table.map { row in row.enumerated().map { c, s in c == 0 ? pad(s, widths[c]) : padLeft(s, widths[c]) }.joined(separator: "  ") }
        lines.insert(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "), at: 2)
        for (i, n) in notes.enumerated() { lines.append("[\(i + 1)] \(n)") }
        lines.append("mean ± half the 95 % bootstrap interval (rank); n per cell in summary.csv")
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ r: Summary.Row, rank: Bool) -> String {
        guard r.mean.isFinite else { return "n/a" }
        let half = (r.high - r.low) / 2
        var s = number(r.mean)
        if half.isFinite { s += " ± " + number(half) }
        if rank, let k = r.rank { s += " (\(k))" }
        return s
    }

    /// Three significant digits, no exponent for ordinary magnitudes.
    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e-3 && magnitude < 1e5 {
            let decimals = max(0, 2 - Int((magnitude).log10Floor))
            return String(format: "%.\(decimals)f", v)
        }
        return String(format: "%.2e", v)
    }

    static func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    static func padLeft(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
}

extension Double {
    var log10Floor: Double { (Foundation.log10(self)).rounded(.down) }
}
