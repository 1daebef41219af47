import Foundation
import ProbityCore

/// Writes a report directory from a `ReportInput`: `report.html` (self-contained),
/// `charts/*.svg` (each usable alone), `heatmaps/*.png` (overlays and sanity maps with colour
/// bars) and `summary.md` (the Markdown summary). Every file is written atomically (temporary
/// file, then rename), so a crash leaves either the old file or the new one. The HTML is written
/// last, after the files it mirrors.
public enum ReportWriter {
    /// The files written, relative to the directory.
    @discardableResult
    public static func write(_ input: ReportInput, to directory: String) throws -> [String] {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        for sub in ["", "/charts", "/heatmaps"] {
            do { try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true) } catch {
                throw ProbityError.badFile(dir + sub, "cannot create the directory: \(error.localizedDescription)")
            }
        }
        let verdict = Verdict(input)
        let charts = ReportCharts(input)
        let heatmaps = ReportHeatmaps(input, labels: Dictionary(uniqueKeysWithValues: charts.order.map { ($0, charts.style.look($0).label) }))
        var written: [String] = []
        for c in charts.charts {
            try AtomicFile.write(Data(c.svg.utf8), to: "\(dir)/charts/\(c.fileName)")
            written.append("charts/" + c.fileName)
        }
        var png: [String: Data] = [:]
        let figures = heatmaps.overlays.map(\.figure) + heatmaps.sanityRows.flatMap { $0.maps.map(\.figure) }
        for f in figures {
            let path = "\(dir)/heatmaps/\(f.fileName)"
            try f.figure.image.write(to: path)
            guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read back the PNG just written") }
            png[f.fileName] = data
            written.append("heatmaps/" + f.fileName)
        }
        try AtomicFile.write(Data(MarkdownSummary.text(input).utf8), to: dir + "/summary.md")
        written.append("summary.md")
        let html = HTMLReport.render(input, verdict: verdict, charts: charts, heatmaps: heatmaps, png: png)
        try AtomicFile.write(Data(html.utf8), to: dir + "/report.html")
        written.append("report.html")
        return written
    }
}
