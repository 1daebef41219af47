import Foundation
import ProbityCore
import ProbityData
import ProbityMetrics
import ProbityReports

/// Aggregation: from the score store to the result files, reading nothing else.
/// `per_sample.csv` is streamed explainer by explainer and metric by metric; the statistics
/// are computed one (metric, variant) at a time (`Summary`, `Pairwise`, Krippendorff's α), and
/// the mean ranks and metric agreement from the main variants only — so memory follows the
/// number of explainers and variants, not samples × everything. Scores `skipped` (outside a
/// variant's subset) have no row and enter no statistic. Row orders are fixed by the
/// suite (explainers, metrics), the store (variants) and sample index, so the files depend only
/// on the scores: a resumed run and merged shards give the same bytes as one uninterrupted run.
public struct Aggregation {
    public struct MetricColumn: Sendable {
        /// The store key (the metric id) and the name the CSVs show.
        public var key, name: String
        public var higherIsBetter: Bool
        /// The variants whose summary adds per-class means (TorchRay's pointing game).
        public var perClassVariants: [String]
        public init(key: String, name: String, higherIsBetter: Bool, perClassVariants: [String]) {
            self.key = key; self.name = name; self.higherIsBetter = higherIsBetter; self.perClassVariants = perClassVariants
        }
    }

    public var store: ScoreStore
    public var explainers: [String]
    public var metrics: [MetricColumn]
    /// The samples to report (the run's selection), ascending.
    public var samples: [Int]
    public var labels: [Int]
    public var seed: UInt64

    public init(store: ScoreStore, explainers: [String], metrics: [MetricColumn], samples: [Int], labels: [Int], seed: UInt64) {
        self.store = store; self.explainers = explainers; self.metrics = metrics; self.samples = samples; self.labels = labels; self.seed = seed
    }

    /// Metric columns for `metrics`: the name, or the id where two share a name.
    public static func columns(_ metrics: [any Metric]) -> [MetricColumn] {
        let names = metrics.map { type(of: $0).name }
        return metrics.map { m in
            let t = type(of: m)
            return MetricColumn(key: m.id, name: names.filter { $0 == t.name }.count > 1 ? m.id : t.name, higherIsBetter: t.higherIsBetter, perClassVariants: t.perClassVariants)
        }
    }

    /// Counts of what was written.
    public struct Outcome: Sendable { public var rows: Int; public var summary: [Summary.Row] }

    /// Writes `per_sample.csv`, `summary.csv`, `pairwise.csv`, `reliability.csv` and
    /// `curves.h5` into `out`, each atomically.
    public func write(to out: String) throws -> Outcome {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let rows = try writePerSample(to: out + "/per_sample.csv")
        var summary: [Summary.Row] = [], pairwise: [Pairwise.Row] = [], interRater: [Reliability.Row] = []
        var mains: [ScoreRow] = []
        let direction = Dictionary(metrics.map { ($0.name, $0.higherIsBetter) }, uniquingKeysWith: { a, _ in a })
        let curvesPath = out + "/curves.h5"
        let curvesTemporary = AtomicFile.temporaryPath(for: curvesPath)
        let curves = try HDF5File(path: curvesTemporary, mode: .truncate)
        do {
            for metric in metrics {
                let entries = try explainers.map { try store.entry(metric: metric.key, explainer: $0) }
                var variants: [String] = []
                for e in entries.compactMap({ $0 }) { for v in e.variants where !variants.contains(v) { variants.append(v) } }
                for variant in variants {
                    var keyRows: [ScoreRow] = []
                    for (x, e) in zip(explainers, entries) {
                        guard let e, let k = e.variants.firstIndex(of: variant) else { continue }
                        for s in samples where e.hasRow(s, k) {
                            keyRows.append(ScoreRow(explainer: x, metric: metric.name, variant: variant, sample: s, label: labels[s], value: e.value(s, k), status: e.status(s, k)))
                        }
                    }
                    if variant.isEmpty { mains += keyRows }
                    let table = ScoreTable(rows: keyRows, higherIsBetter: direction)
                    summary += Summary.rows(table, perClass: [metric.name], perClassVariants: Set(metric.perClassVariants), seed: seed, meanRank: false)
                    pairwise += Pairwise.rows(table)
                    interRater += Reliability.rows(table).filter { $0.kind == "inter_rater" }
                }
                for (x, e) in zip(explainers, entries) {
                    guard let e, e.curveLength > 0 else { continue }
                    let done = samples.filter { $0 < e.done.count && e.done[$0] }
                    guard !done.isEmpty else { continue }
                    try curves.write("/curves/\(metric.name)/\(x)", done.flatMap { Array(e.curve($0)!) }, shape: [done.count, e.curveLength])
                    try curves.write("/samples/\(metric.name)/\(x)", done.map(Int64.init), shape: [done.count])
                }
            }
            curves.close()
        } catch {
            curves.close()
            try? FileManager.default.removeItem(atPath: curvesTemporary)
            throw error
        }
        try AtomicFile.commit(temporary: curvesTemporary, to: curvesPath)
        let mainTable = ScoreTable(rows: mains, higherIsBetter: direction)
        summary += Summary.meanRanks(mainTable, seed: seed)
        let reliability = interRater + Reliability.rows(mainTable).filter { $0.kind == "inter_method" }
        try AtomicFile.write(Data(ResultTables.summary(summary).utf8), to: out + "/summary.csv")
        try AtomicFile.write(Data(ResultTables.pairwise(pairwise).utf8), to: out + "/pairwise.csv")
        try AtomicFile.write(Data(ResultTables.reliability(reliability).utf8), to: out + "/reliability.csv")
        return Outcome(rows: rows, summary: summary)
    }

    /// Streams `per_sample.csv`: explainer, then metric, then variant, then sample.
    func writePerSample(to path: String) throws -> Int {
        let temporary = AtomicFile.temporaryPath(for: path)
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw ProbityError.badFile(path, "cannot write")
        }
        var count = 0
        do {
            handle.write(Data((CSV.line(ResultTables.perSampleHeader) + "\n").utf8))
            for x in explainers {
                for metric in metrics {
                    guard let e = try store.entry(metric: metric.key, explainer: x) else { continue }
                    var text = ""
                    for (k, variant) in e.variants.enumerated() {
                        for s in samples where e.hasRow(s, k) {
                            text += CSV.line([x, metric.name, variant, String(s), String(labels[s]), CSV.number(Double(e.value(s, k))), e.status(s, k)]) + "\n"
                            count += 1
                        }
                    }
                    handle.write(Data(text.utf8))
                }
            }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try AtomicFile.commit(temporary: temporary, to: path)
        return count
    }
}
