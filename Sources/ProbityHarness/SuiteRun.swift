import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX

/// `probity run SUITE.yaml`: plans the jobs of a suite, fills the attribution cache
/// (`Explaining`), scores into the score store (`Scoring`), aggregates (`Aggregation`) and
/// records the run. Output folder:
///
///     OUT/cache/attributions.h5   maps, one entry per explainer (and seed)
///     OUT/cache/scores.h5         per-sample scores, curves, statuses
///     OUT/per_sample.csv, summary.csv, pairwise.csv, reliability.csv, curves.h5, run.json
///     OUT/suite.yaml              the suite as run
///
/// Killed anywhere (Ctrl-C, kill -9), the same command resumes: finished batches are in the
/// journals, nothing done is recomputed, and the final CSVs are byte-identical to an
/// uninterrupted run's. A changed explainer (options, seed) gets a new cache entry; a changed
/// metric a new store entry; nothing else is redone.
///
/// With a shard (`K/N`) the run explains and scores only its part of the batches and writes
/// `shard.json` instead of the tables; `Merge` combines the shard folders.
public struct SuiteRun {
    public var suite: Suite
    public var out: String
    public var shard: Shard?
    /// Samples whose external explainer fails are marked `failed` and the run goes on
    /// (`--keep-going`, or `keep_going: true` in the suite); otherwise the run stops there.
    public var keepGoing: Bool

    public init(suite: Suite, out: String? = nil, shard: Shard? = nil, keepGoing: Bool = false) {
        self.suite = suite; self.out = out ?? suite.out; self.shard = shard; self.keepGoing = keepGoing || suite.keepGoing
    }

    public struct Outcome: Sendable {
        public var out: String
        public var samples: Int
        public var explained = 0, explainReused = 0
        public var scored = 0, scoreUnitsReused = 0
        public var rows = 0
        public var seconds = 0.0
        public var summary: [Summary.Row] = []
        /// Explainer keys in suite order, with what their maps looked like.
        public var explainers: [String] = []
        public var constantMaps: [String: Int] = [:]
        public var failedMaps: [String: Int] = [:]
        /// Notes worth a line on the terminal (replaced entries and the like).
        public var notes: [String] = []
    }

    public var attributionsPath: String { out + "/cache/attributions.h5" }
    public var scoresPath: String { out + "/cache/scores.h5" }

    public func run(progress: ProgressHandler? = nil) throws -> Outcome {
        PNGBaselineLoader.install()
        let started = Date()
        let dataset = try Dataset(path: suite.dataset)
        let model = try ModelLoading.load(suite.model, for: dataset)
        try ModelLoading.check(suite.target, model: model, modelPath: suite.model)
        try ModelLoading.check(suite.metricTarget, model: model, modelPath: suite.model)
        let explainers = try suite.makeExplainers(), metrics = try suite.makeMetrics()
        let plan = try RunPlan(suite.samples, dataset: dataset, batch: suite.batch, source: suite.path)
        let batches = plan.batches(of: shard)
        let lock = try RunLock(directory: out)
        defer { withExtendedLifetime(lock) {} }
        try FileManager.default.createDirectory(atPath: out + "/cache", withIntermediateDirectories: true)
        if let text = FileManager.default.contents(atPath: suite.path) { try AtomicFile.write(text, to: out + "/suite.yaml") }
        let modelSHA = try FileHash.sha256(suite.model), datasetSHA = try FileHash.sha256(suite.dataset)
        let fingerprint = try suite.fingerprint(modelSHA256: modelSHA, datasetSHA256: datasetSHA)
        var outcome = Outcome(out: out, samples: batches.reduce(0) { $0 + $1.count })
        // A shard folder holds shard.json only while its results are complete.
        try? FileManager.default.removeItem(atPath: out + "/shard.json")

        // Explain.
        let cache = try AttributionCache(path: attributionsPath)
        defer { cache.close() }
        try cache.commit()
        var explaining = Explaining(model: model, dataset: dataset, cache: cache, modelSHA256: modelSHA, datasetSHA256: datasetSHA)
        explaining.target = suite.target
        explaining.seed = suite.seed
        explaining.keepGoing = keepGoing
        var keys: [String] = []
        for e in explainers {
            let (key, replaced) = try explaining.prepare(e, replace: true)
            if replaced { outcome.notes.append("\(key): cached maps were made with another model, dataset or target; computing them again") }
            keys.append(key)
        }
        outcome.explainers = keys
        var timings: [RunJSON.Timing] = []
        let explainTotal = try keys.reduce(0) { t, k in t + (try explaining.pending(k, batches: batches)).reduce(0) { $0 + $1.count } }
        var explained = 0
        progress?(ProgressEvent(stage: "explain", done: 0, total: explainTotal))
        do {
            for (e, key) in zip(explainers, keys) {
                let name = type(of: e).name
                let r: Explaining.Outcome
                do {
                    r = try explaining.run(e, key: key, batches: batches) { n in
                        explained += n
                        progress?(ProgressEvent(stage: "explain", done: explained, total: explainTotal, detail: name))
                    }
                } catch {
                    try? cache.abandon(key)   // a method that refused the model leaves no empty entry
                    throw error
                }
                outcome.explained += r.computed
                outcome.explainReused += r.reused
                if !r.constant.isEmpty { outcome.constantMaps[key] = r.constant.count }
                if !r.failures.isEmpty { outcome.failedMaps[key] = r.failures.count }
                timings.append(RunJSON.Timing(stage: "explain", explainer: key, metric: "", seconds: r.seconds, samples: r.computed))
            }
        } catch {
            try? cache.commit()
            throw error
        }
        try cache.commit()

        // Score.
        let store = ScoreStore(path: scoresPath)
        defer { store.close() }
        try store.commit()
        var scoring = Scoring(model: model, dataset: dataset, cache: cache, store: store, metrics: metrics, modelSHA256: modelSHA, datasetSHA256: datasetSHA)
        scoring.seed = suite.seed
        scoring.metricTarget = suite.metricTarget
        try scoring.check(explainers: keys)
        let scoreTotal = try keys.reduce(0) { t, k in t + (try scoring.pending(explainer: k, batches: batches)) }
        outcome.scoreUnitsReused = keys.count * metrics.count * batches.count - scoreTotal
        var units = 0
        progress?(ProgressEvent(stage: "score", done: 0, total: scoreTotal))
        do {
            for key in keys {
                let name = String(key.split(separator: "@", maxSplits: 1)[0])
                let t = try scoring.run(explainer: key, batches: batches) { n in
                    guard n > 0 else { return }
                    units += 1
                    outcome.scored += n
                    progress?(ProgressEvent(stage: "score", done: units, total: scoreTotal, detail: name))
                }
                timings += t.map { RunJSON.Timing(stage: "score", explainer: $0.explainer, metric: $0.metric, seconds: $0.seconds, samples: $0.samples) }
            }
        } catch {
            try? store.commit()
            throw error
        }
        try store.commit()

        // Aggregate (a whole run) or record the shard.
        let samples = batches.flatMap { $0 }
        outcome.seconds = Date().timeIntervalSince(started)
        var record = RunJSON(command: "run", model: .init(path: suite.model, sha256: modelSHA), dataset: .init(path: suite.dataset, sha256: datasetSHA),
                               attributions: attributionsPath, scores: scoresPath, explainers: keys, metrics: metrics.map(\.id), samples: samples.count,
                               seed: suite.seed, target: suite.target.description, metricTarget: suite.metricTarget?.description ?? "cache",
                               seconds: outcome.seconds, timings: timings)
        record.suite = suite.path
        record.suite_fingerprint = fingerprint
        if let shard {
            try ShardRecord(fingerprint: fingerprint, shard: shard.description, samples: samples, labels: samples.map { dataset.labels[$0] },
                            batches: batches.count, seed: suite.seed, explainers: keys, metrics: metrics.map(\.id)).write(to: out + "/shard.json")
            record.shards = [shard.description]
            try record.write(to: out + "/run.json")
        } else {
            let aggregated = try Aggregation(store: store, explainers: keys, metrics: Aggregation.columns(metrics), samples: samples, labels: dataset.labels, seed: suite.seed)
                .write(to: out)
            outcome.rows = aggregated.rows
            outcome.summary = aggregated.summary
            try record.write(to: out + "/run.json")
            progress?(ProgressEvent(stage: "report", done: 0, total: 1))
            try ReportBuilder(directory: out).write()
            progress?(ProgressEvent(stage: "report", done: 1, total: 1))
        }
        return outcome
    }
}

/// `shard.json`: which part of which suite a shard folder holds, so `merge` can check that
/// shards belong together and cover every sample exactly once.
public struct ShardRecord: Codable, Sendable, Equatable {
    public var probity_version = ProbityVersion.string
    public var fingerprint: String
    public var shard: String
    public var samples: [Int]
    /// The dataset label of each sample (aggregation needs them; merge reads no dataset).
    public var labels: [Int]
    public var batches: Int
    public var seed: UInt64
    public var explainers: [String]
    public var metrics: [String]

    public init(fingerprint: String, shard: String, samples: [Int], labels: [Int], batches: Int, seed: UInt64, explainers: [String], metrics: [String]) {
        self.fingerprint = fingerprint; self.shard = shard; self.samples = samples; self.labels = labels; self.batches = batches; self.seed = seed
        self.explainers = explainers; self.metrics = metrics
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(_ path: String) throws -> ShardRecord {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbityError.badFile(path, "missing: the folder is not a finished shard (run its `probity run … --shard K/N` again; it resumes)")
        }
        do { return try JSONDecoder().decode(ShardRecord.self, from: data) } catch { throw ProbityError.badFile(path, "not a Probity shard record: \(error)") }
    }
}
