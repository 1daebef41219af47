import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX

/// `probity evaluate`: metrics over the maps of an attribution cache. Scores go to a score
/// store (`scores.h5` in `out`) through `Scoring`, so an interrupted evaluation resumes and
/// recomputes nothing done; then `Aggregation` writes `per_sample.csv`, `summary.csv`,
/// `pairwise.csv`, `reliability.csv` and `curves.h5`, and `run.json` records the run. If a
/// metric refuses its input part-way, the scores computed before it are still written.
public struct EvaluateRun {
    public var modelPath: String
    public var datasetPath: String
    public var attributionsPath: String
    /// Explainer keys (or bare names) in the cache (empty: every entry).
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

    /// What a run scored: the number of per-sample rows and the summary rows, as the files hold them.
    public struct Outcome { public var rows: Int; public var summary: [Summary.Row]; public var scored: Int }

    public func run(progress: ProgressHandler? = nil) throws -> Outcome {
        PNGBaselineLoader.install()
        let started = Date()
        let dataset = try Dataset(path: datasetPath)
        let model = try ModelLoading.load(modelPath, for: dataset)
        try ModelLoading.check(target, model: model, modelPath: modelPath)
        guard FileManager.default.fileExists(atPath: attributionsPath) else {
            throw ProbityError.badFile(attributionsPath, "no such file (write the maps with `probity explain` first)")
        }
        let cache = try AttributionCache(path: attributionsPath)
        defer { cache.close() }
        let keys = try EntryNames.resolve(explainers, in: cache)
        let lock = try RunLock(directory: out)
        defer { withExtendedLifetime(lock) {} }
        let store = ScoreStore(path: out + "/scores.h5")
        defer { store.close() }
        try store.commit()
        let modelSHA = try FileHash.sha256(modelPath), datasetSHA = try FileHash.sha256(datasetPath)
        var scoring = Scoring(model: model, dataset: dataset, cache: cache, store: store, metrics: metrics, modelSHA256: modelSHA, datasetSHA256: datasetSHA)
        scoring.seed = seed
        scoring.metricTarget = target
        try scoring.check(explainers: keys)
        // Every sample each explainer has a map for, in batches.
        var plans: [(String, [[Int]])] = []
        for key in keys {
            let done = try cache.done(key)
            plans.append((key, RunPlan(samples: done.indices.filter { done[$0] }, batch: batch).batches))
        }
        let total = try plans.reduce(0) { t, p in t + (try scoring.pending(explainer: p.0, batches: p.1)) }
        var done = 0, scored = 0
        var timings: [RunJSON.Timing] = []
        progress?(ProgressEvent(stage: "evaluate", done: 0, total: total))
        do {
            for (key, batches) in plans {
                let t = try scoring.run(explainer: key, batches: batches) { n in
                    if n > 0 { done += 1; scored += n; progress?(ProgressEvent(stage: "evaluate", done: done, total: total, detail: key)) }
                }
                timings += t.map { RunJSON.Timing(stage: "evaluate", explainer: $0.explainer, metric: $0.metric, seconds: $0.seconds, samples: $0.samples) }
            }
        } catch {
            // Keep what was scored and write the tables of it, then report the problem.
            try? store.commit()
            _ = try? aggregate(store: store, keys: keys, dataset: dataset)
            throw error
        }
        try store.commit()
        let outcome = try aggregate(store: store, keys: keys, dataset: dataset)
        let samples = Set(plans.flatMap { $0.1.flatMap { $0 } }).count
        try RunJSON(command: "evaluate", model: .init(path: modelPath, sha256: modelSHA), dataset: .init(path: datasetPath, sha256: datasetSHA),
                      attributions: attributionsPath, scores: out + "/scores.h5", explainers: keys, metrics: metrics.map(\.id), samples: samples,
                      seed: seed, target: "cache", metricTarget: target?.description ?? "cache", seconds: Date().timeIntervalSince(started),
                      timings: timings).write(to: out + "/run.json")
        try ReportBuilder(directory: out).write()
        return Outcome(rows: outcome.rows, summary: outcome.summary, scored: scored)
    }

    func aggregate(store: ScoreStore, keys: [String], dataset: Dataset) throws -> Aggregation.Outcome {
        var samples = Set<Int>()
        for key in keys { for m in metrics { if let e = try store.entry(metric: m.id, explainer: key) { samples.formUnion(e.done.indices.filter { e.done[$0] }) } } }
        return try Aggregation(store: store, explainers: keys, metrics: Aggregation.columns(metrics), samples: samples.sorted(), labels: dataset.labels, seed: seed)
            .write(to: out)
    }
}
