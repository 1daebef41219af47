import Foundation
import ProbityData

/// The heatmap figures of a report, made once so `heatmaps/*.png` and the data: URIs in
/// `report.html` are the same images: one per overlay cell (named by sample, explainer and
/// colormap) and one per map of each sanity-check map row.
struct ReportHeatmaps {
    struct Figure {
        let fileName: String
        let figure: HeatmapFigure
    }
    /// Overlay figures keyed by (sample, explainer id), in the order of the input's cells.
    let overlays: [(sample: Int, explainer: String, layer: String?, figure: Figure)]
    /// Sanity-check rows: explainer and, per randomization step, its label and figure.
    let sanityRows: [(explainer: String, maps: [(label: String, figure: Figure)])]

    init(_ input: ReportInput, labels: [String: String]) {
        var used = Set<String>()
        func name(_ base: String) -> String {
            var n = ReportCharts.fileSafe(base), i = 2
            while !used.insert(n).inserted { n = ReportCharts.fileSafe(base) + "_\(i)"; i += 1 }
            return n + ".png"
        }
        func label(_ id: String) -> String { labels[id] ?? ExplainerName(id).name }
        overlays = input.overlays.map { c in
            let f = HeatmapFigure(map: c.map, pixels: c.pixels, height: c.height, width: c.width, channels: c.channels, signed: c.signed)
            return (c.sample, c.explainer, c.layer, Figure(fileName: name("sample\(c.sample)_\(label(c.explainer))_\(f.colormap)"), figure: f))
        }
        sanityRows = input.sanityMaps.map { row in
            (row.explainer, row.maps.map { m in
                let f = HeatmapFigure(map: m.map, pixels: nil, height: row.height, width: row.width, channels: 1, signed: row.signed, minimumSize: 128, annotated: false)
                return (m.label, Figure(fileName: name("sanity_\(label(row.explainer))_\(m.label)_\(f.colormap)"), figure: f))
            })
        }
    }
}
