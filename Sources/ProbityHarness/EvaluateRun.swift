import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX
import ProbityReports

/// `probity evaluate`: metrics over the maps of an attribution cache, per sample, with the
/// tidy outputs DESIGN.md fixes: `per_sample.csv`
/// (`explainer,metric,variant,sample,label,value,status`), `summary.csv`
/// (`explainer,metric,variant,mean,ci_low,ci_high,n,rank,higher_is_better`; seeded bootstrap
/// 95 % intervals over the samples with status ok, plus `per_class` and `mean_rank` rows),
/// `pairwise.csv` (Wilcoxon + Holm), `reliability.csv` (Krippendorff's α, Spearman of
/// rankings), `curves.h5` (`/curves/<metric>/<explainer>` float32 [N, steps + 1]) and
/// `run.json` (versions, hashes, options, seed, timings, machine).
/// Metrics that re-run the method get the explainer rebuilt from the cache's id and options;
/// localization metrics get the dataset's masks, or else the boxes of the explained class.
public struct EvaluateRun {
    public var modelPath: String
    public var datasetPath: String
    public var attributionsPath: String
    /// Explainer ids in the cache (empty: every entry).
    public var explainers: [String] = []
    public var metrics: [any Metric]
    public var out: String
    public var seed: UInt64 = 0
    public var batch = 8
    /// The class each metric scores: nil (default) the class the map explains, as the cache
    /// records it; else `predicted`, `label` or a fixed class, resolved per sample.
    public var target: TargetRule? = nil

    public init(modelPath: String, datasetPath: String, attributionsPath: String, metrics: [any Metric], out: String) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.attributionsPath = attributionsPath; self.metrics = metrics; self.out = out
    }

    public typealias Row = ScoreRow

    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        let model = try ONNXModel(path: modelPath)
        let dataset = try Dataset(path: datasetPath)
        let cache = try HDF5File(path: attributionsPath)
        let available = cache.exists("/attributions") ? try cache.members(of: "/attributions") : []
        let ids = explainers.isEmpty ? available : explainers
        for id in ids where !available.contains(id) {
            throw ProbityError.badFile(attributionsPath, "no maps for explainer \(id); the file holds: \(available.joined(separator: ", "))")
        }
        let needs = metrics.reduce(MetricNeeds()) { $0.union(type(of: $1).needs) }
        if needs.contains(.groundTruth) && !dataset.hasMasks && dataset.boxes.isEmpty {
            let names = metrics.filter { type(of: $0).needs.contains(.groundTruth) }.map { type(of: $0).name }
            throw ProbityError.badFile(datasetPath, "\(names.joined(separator: ", ")) need ground truth, but the dataset has no /masks or /boxes")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let curvesFile = try HDF5File(path: out + "/curves.h5", mode: .truncate)
        var rows: [Row] = []
        // Per metric of the explainer at hand: its rows by variant (in the metric's order), curves, seconds.
        var pending: [Pending] = []
        let flags = try ids.map { try cache.read("/done/\($0)", as: UInt8.self) }
        let total = zip(ids, flags).reduce(0) { $0 + ($1.1.filter { $0 != 0 }.count + batch - 1) / batch } * metrics.count
        var done = 0
        var timings: [(explainer: String, metric: String, seconds: Double, samples: Int)] = []
        let runStarted = Date()
        progress?(0, total)
        // A failure part-way (a metric refusing its input) still writes the scores computed so far.
        do {
            for (id, flags) in zip(ids, flags) {
                let targets = try cache.read("/targets/\(id)", as: Int64.self).map(Int.init)
                let samples = flags.indices.filter { flags[$0] != 0 }
                let explainer = needs.contains(.explainer) ? try rebuild(id, cache: cache) : nil
                pending = metrics.map { _ in Pending() }
                var start = 0
                // Each batch is read once (images, maps, targets, ground truth) and given to every metric.
                while start < samples.count {
                    let part = Array(samples[start..<min(samples.count, start + batch)])
                    let x = Tensor.concatenate(batch: try part.map { try dataset.modelInput($0..<($0 + 1)) })
                    let scored = try target?.targets(model: model, x: x, labels: part.map { dataset.labels[$0] }) ?? part.map { targets[$0] }
                    let maps = Tensor(shape: [part.count, dataset.height, dataset.width],
                                      storage: try part.flatMap { try cache.read("/attributions/\(id)", rows: $0..<($0 + 1), as: Float.self) })
                    let regions = needs.contains(.groundTruth) ? try zip(part, scored).map { try region(dataset, sample: $0, target: $1) } : nil
                    for (k, metric) in metrics.enumerated() {
                        let started = Date()
                        let input = MetricInput(x: x, maps: maps, targets: scored, samples: part, seed: seed, preprocessing: dataset.preprocessing,
                                                explainer: explainer, regions: type(of: metric).needs.contains(.groundTruth) ? regions : nil)
                        let result = try metric.evaluate(input, model: model)
                        for v in [MetricOutput.Variant(name: "", scores: result.scores, status: result.status)] + result.variants {
                            let new = part.enumerated().map { j, s in
                                Row(explainer: id, metric: type(of: metric).name, variant: v.name, sample: s, label: dataset.labels[s], value: v.scores[j], status: v.status[j])
                            }
                            if let i = pending[k].rows.firstIndex(where: { $0.variant == v.name }) { pending[k].rows[i].rows += new } else { pending[k].rows.append((v.name, new)) }
                        }
                        pending[k].curves += result.curves ?? []
                        pending[k].seconds += Date().timeIntervalSince(started)
                        done += 1
                        progress?(done, total)
                    }
                    start += batch
                }
                for (metric, p) in zip(metrics, pending) {
                    let name = type(of: metric).name
                    if let width = p.curves.first?.count {
                        try curvesFile.write("/curves/\(name)/\(id)", p.curves.flatMap { $0 }, shape: [p.curves.count, width])
                        try curvesFile.write("/samples/\(name)/\(id)", samples.map(Int64.init), shape: [samples.count])
                    }
                    timings.append((id, metric.id, p.seconds, samples.count))
                    rows += p.rows.flatMap(\.rows)
                }
                pending = []
            }
        } catch {
            curvesFile.close()
            _ = try? writeTables(rows + pending.flatMap { $0.rows.flatMap(\.rows) })
            throw error
        }
        curvesFile.close()
        let summary = try writeTables(rows)
        try writeRunRecord(ids: ids, timings: timings, seconds: Date().timeIntervalSince(runStarted))
        return Outcome(rows: rows, summary: summary)
    }

    /// What a run scored: every per-sample row and the summary rows, as the files hold them.
    public struct Outcome { public var rows: [Row]; public var summary: [Summary.Row] }

    /// One metric's results for the explainer being scored, until they are complete.
    struct Pending {
        var rows: [(variant: String, rows: [Row])] = []
        var curves: [[Float]] = []
        var seconds = 0.0
    }

    /// `run.json` (DESIGN.md): what was run on what, with which seed, how long each part took,
    /// and on which machine — enough to reproduce the tables or tell why they differ.
    func writeRunRecord(ids: [String], timings: [(explainer: String, metric: String, seconds: Double, samples: Int)], seconds: Double) throws {
        let info = ProcessInfo.processInfo
        let record: [String: Any] = [
            "probity_version": AttributionCache.probityVersion,
            "command": "evaluate",
            "model": ["path": modelPath, "sha256": try FileHash.sha256(modelPath)],
            "dataset": ["path": datasetPath, "sha256": try FileHash.sha256(datasetPath)],
            "attributions": attributionsPath,
            "explainers": ids,
            "metrics": metrics.map(\.id),
            "seed": seed,
            "target": target.map(\.description) ?? "cache",
            "seconds": seconds,
            "timings": timings.map { ["explainer": $0.explainer, "metric": $0.metric, "seconds": $0.seconds, "samples": $0.samples] as [String: Any] },
            "machine": ["cores": info.activeProcessorCount, "memory_bytes": info.physicalMemory, "os": info.operatingSystemVersionString],
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .prettyPrinted])
        try AtomicFile.write(data, to: out + "/run.json")
    }

    /// Writes the CSVs for `rows` (grouped by explainer, metric, variant and sample).
    func writeTables(_ rows: [Row]) throws -> [Summary.Row] {
        try writePerSample(rows)
        let table = ScoreTable(rows: rows, higherIsBetter: Dictionary(metrics.map { (type(of: $0).name, type(of: $0).higherIsBetter) }, uniquingKeysWith: { a, _ in a }))
        let summary = try writeSummary(table)
        try writePairwise(table)
        try writeReliability(table)
        return summary
    }

    /// The explainer that made entry `id`, rebuilt from its name and stored options.
    func rebuild(_ id: String, cache: HDF5File) throws -> any Explainer {
        let name = String(id.split(separator: "@", maxSplits: 1).first ?? Substring(id))
        if name == Precomputed.name {
            let names = metrics.filter { type(of: $0).needs.contains(.explainer) }.map { type(of: $0).name }
            throw ProbityError.badFile(attributionsPath, "\(id) holds precomputed maps, which cannot be re-run on a changed model or input; \(names.joined(separator: ", ")) need the method itself (wrap it with `external`)")
        }
        let json = try cache.attribute("options", on: "/attributions/\(id)")?.text ?? "{}"
        guard let options = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] else {
            throw ProbityError.badFile(attributionsPath, "the options of \(id) are not a JSON object of strings: \(json)")
        }
        return try ExplainerRegistry.make(name, options: options)
    }

    /// Ground truth of a sample (`Dataset.groundTruth(sample:target:)`).
    func region(_ dataset: Dataset, sample: Int, target: Int) throws -> [Bool] {
        try dataset.groundTruth(sample: sample, target: target)
    }

    func writePerSample(_ rows: [Row]) throws {
        try AtomicFile.write(Data(ResultTables.perSample(rows).utf8), to: out + "/per_sample.csv")
    }

    /// Writes `summary.csv`; returns its rows.
    func writeSummary(_ table: ScoreTable) throws -> [Summary.Row] {
        let perClass = Set(metrics.filter { type(of: $0).perClass }.map { type(of: $0).name })
        let rows = Summary.rows(table, perClass: perClass, seed: seed)
        try AtomicFile.write(Data(ResultTables.summary(rows).utf8), to: out + "/summary.csv")
        return rows
    }

    func writePairwise(_ table: ScoreTable) throws {
        try AtomicFile.write(Data(ResultTables.pairwise(Pairwise.rows(table)).utf8), to: out + "/pairwise.csv")
    }

    func writeReliability(_ table: ScoreTable) throws {
        try AtomicFile.write(Data(ResultTables.reliability(Reliability.rows(table)).utf8), to: out + "/reliability.csv")
    }
}
