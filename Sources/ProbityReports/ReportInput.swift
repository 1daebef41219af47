import Foundation
import ProbityCore
import ProbityData
import ProbityMetrics

/// Everything a report is drawn from: the result tables of one run directory, its curves and
/// run record, and — filled in by the caller, which owns the attribution cache and the
/// dataset — optional heatmap overlay cells and sanity-check map rows. Reports never read
/// attribution caches or models: they are pure writers from these rows.
public struct ReportInput: Sendable {
    /// The mean per-sample curves of one metric and explainer: `rows[i]` is the curve of
    /// `samples[i]`, `steps + 1` points from unperturbed to fully perturbed.
    public struct Curves: Sendable, Equatable {
        public var samples: [Int]
        public var rows: [[Float]]
        public init(samples: [Int], rows: [[Float]]) { self.samples = samples; self.rows = rows }

        /// The pointwise mean over samples of the finite values.
        public var mean: [Double] {
            guard let width = rows.first?.count else { return [] }
            return (0..<width).map { j in
                let v = rows.compactMap { $0.count > j && $0[j].isFinite ? Double($0[j]) : nil }
                return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
            }
        }
    }

    /// One heatmap of the overlay grid: the map of `explainer` for dataset sample `sample`
    /// over that sample's image.
    public struct OverlayCell: Sendable, Equatable {
        public var sample: Int
        public var explainer: String
        /// The attribution map, `height × width`, row-major.
        public var map: [Float]
        /// The image, `height × width × channels` uint8 (HWC).
        public var pixels: [UInt8]
        public var height, width, channels: Int
        /// Whether the map has a meaningful sign (drawn with a diverging colormap).
        public var signed: Bool
        /// For CAMs, the layer the map was taken from.
        public var layer: String?

        public init(sample: Int, explainer: String, map: [Float], pixels: [UInt8], height: Int, width: Int, channels: Int, signed: Bool, layer: String? = nil) {
            self.sample = sample; self.explainer = explainer; self.map = map; self.pixels = pixels
            self.height = height; self.width = width; self.channels = channels; self.signed = signed; self.layer = layer
        }
    }

    /// One row of the sanity-check figure: an explainer's maps of one sample as the model's
    /// layers are randomized, the first entry usually labelled "original".
    public struct SanityMapRow: Sendable, Equatable {
        public var explainer: String
        public var maps: [(label: String, map: [Float])]
        public var height, width: Int
        /// Whether the maps have a meaningful sign (drawn with a diverging colormap).
        public var signed: Bool

        public init(explainer: String, maps: [(label: String, map: [Float])], height: Int, width: Int, signed: Bool) {
            self.explainer = explainer; self.maps = maps; self.height = height; self.width = width; self.signed = signed
        }

        public static func == (a: SanityMapRow, b: SanityMapRow) -> Bool {
            a.explainer == b.explainer && a.height == b.height && a.width == b.width && a.signed == b.signed
                && a.maps.map(\.label) == b.maps.map(\.label) && a.maps.map(\.map) == b.maps.map(\.map)
        }
    }

    public var summary: [SummaryRow]
    public var pairwise: [PairwiseRow]
    public var reliability: [ReliabilityRow]
    /// Per-sample rows; read from a run folder, only the main-variant rows (what the report counts).
    public var perSample: [ScoreRow]
    /// Curves by metric name, then explainer id.
    public var curves: [String: [String: Curves]]
    public var run: RunRecord?
    public var overlays: [OverlayCell]
    public var sanityMaps: [SanityMapRow]

    public init(summary: [SummaryRow], pairwise: [PairwiseRow] = [], reliability: [ReliabilityRow] = [], perSample: [ScoreRow] = [],
                curves: [String: [String: Curves]] = [:], run: RunRecord? = nil, overlays: [OverlayCell] = [], sanityMaps: [SanityMapRow] = []) {
        self.summary = summary; self.pairwise = pairwise; self.reliability = reliability; self.perSample = perSample
        self.curves = curves; self.run = run; self.overlays = overlays; self.sanityMaps = sanityMaps
    }

    /// Loads a run directory as `probity evaluate` writes it: `summary.csv` (required),
    /// `pairwise.csv`, `reliability.csv`, `per_sample.csv`, `curves.h5` and `run.json` (each
    /// optional, because a merged or hand-made run may lack them). A file that is there but
    /// malformed is an error naming the file, the line or dataset, and the problem. Cost: reads
    /// every file whole.
    public init(directory: String) throws {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        func text(_ name: String, required: Bool = false) throws -> (String, String)? {
            let path = dir + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                if required { throw ProbityError.badFile(path, "missing; a run directory holds the summary.csv that `probity evaluate` writes") }
                return nil
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read the file") }
            guard let s = String(data: data, encoding: .utf8) else { throw ProbityError.badFile(path, "not UTF-8 text") }
            return (s, path)
        }
        let (summaryText, summaryPath) = try text("summary.csv", required: true)!
        summary = try ResultTableReader.summary(summaryText, path: summaryPath)
        pairwise = try text("pairwise.csv").map { try ResultTableReader.pairwise($0.0, path: $0.1) } ?? []
        reliability = try text("reliability.csv").map { try ResultTableReader.reliability($0.0, path: $0.1) } ?? []
        // Main-variant rows only (the report counts them), read without holding the whole table.
        let perSamplePath = dir + "/per_sample.csv"
        perSample = FileManager.default.fileExists(atPath: perSamplePath) ? try ResultTableReader.perSampleMain(path: perSamplePath) : []
        let curvesPath = dir + "/curves.h5"
        curves = FileManager.default.fileExists(atPath: curvesPath) ? try Self.readCurves(curvesPath) : [:]
        let runPath = dir + "/run.json"
        run = FileManager.default.fileExists(atPath: runPath) ? try RunRecord(contentsOf: runPath) : nil
        overlays = []
        sanityMaps = []
    }

    /// `/curves/<metric>/<explainer>` float32 [N, steps + 1] with `/samples/<metric>/<explainer>`
    /// int64 [N] from `path`; a shape that does not fit is an error naming the dataset.
    static func readCurves(_ path: String) throws -> [String: [String: Curves]] {
        let file = try HDF5File(path: path)
        defer { file.close() }
        var out: [String: [String: Curves]] = [:]
        for metric in try file.members(of: "/curves") {
            for explainer in try file.members(of: "/curves/\(metric)") {
                let name = "/curves/\(metric)/\(explainer)"
                let info = try file.info(name)
                guard info.rank == 2 else { throw ProbityError.badInput(file: path, location: name, problem: "expected a 2-D dataset [N, steps + 1], found shape \(info.shape)") }
                let flat = try file.read(name, as: Float.self)
                let (n, width) = (info.shape[0], info.shape[1])
                let rows = (0..<n).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }
                let samplesName = "/samples/\(metric)/\(explainer)"
                var samples = Array(0..<n)
                if file.exists(samplesName) {
                    samples = try file.read(samplesName, as: Int64.self).map { Int($0) }
                    guard samples.count == n else {
                        throw ProbityError.badInput(file: path, location: samplesName, problem: "expected \(n) sample indices (one per curve in \(name)), found \(samples.count)")
                    }
                }
                out[metric, default: [:]][explainer] = Curves(samples: samples, rows: rows)
            }
        }
        return out
    }

    /// Explainer ids in a stable order: as the summary lists them (first appearance).
    public var explainers: [String] {
        var seen = Set<String>(), out: [String] = []
        for r in summary where seen.insert(r.explainer).inserted { out.append(r.explainer) }
        return out
    }

    /// Metric names with a main score, in the summary's order (`mean_rank` excluded).
    public var metrics: [String] {
        var seen = Set<String>(), out: [String] = []
        for r in summary where r.variant == "" && r.metric != ReportInput.meanRankMetric && seen.insert(r.metric).inserted { out.append(r.metric) }
        return out
    }

    /// The metric name of the per-explainer mean-rank rows in `summary.csv`.
    public static let meanRankMetric = "mean_rank"

    /// The summary row of (explainer, metric, variant), if any.
    public func row(_ explainer: String, _ metric: String, _ variant: String = "") -> SummaryRow? {
        summary.first { $0.explainer == explainer && $0.metric == metric && $0.variant == variant }
    }
}
