import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX

/// Scoring: metrics over the maps of an attribution cache, batch by batch, into a score store
/// (one journal record per metric and batch), skipping every (metric, explainer, batch)
/// already there — so an interrupted run resumes where it stopped and a changed metric
/// recomputes only that metric. Each batch is read once (images, maps, targets, ground
/// truth) and given to every metric that still needs it. Metrics that re-run the method get
/// the explainer rebuilt from the cache's stored options; localization metrics get
/// `GroundTruth` regions. A small model's batches are scored side by side (`Lanes`).
public struct Scoring {
    public var model: any Model
    public var dataset: Dataset
    public var cache: AttributionCache
    public var store: ScoreStore
    public var metrics: [any Metric]
    public var seed: UInt64 = 0
    /// The class each metric scores: nil is the class the map explains, as the cache records it.
    public var metricTarget: TargetRule? = nil
    public var modelSHA256: String
    public var datasetSHA256: String
    /// Loads the other models metrics compare with (ONNX files), each once per run.
    public var loader = ModelLoader { try ONNXModel(path: $0) }
    /// How many batches are scored side by side, each by its own copy of the model (`Lanes`);
    /// nil chooses (a small model's threads, else 1). The scores are the same
    /// bits either way and are stored in batch order.
    public var workers: Int? = nil

    public init(model: any Model, dataset: Dataset, cache: AttributionCache, store: ScoreStore, metrics: [any Metric], modelSHA256: String, datasetSHA256: String) {
        self.model = model; self.dataset = dataset; self.cache = cache; self.store = store; self.metrics = metrics
        self.modelSHA256 = modelSHA256; self.datasetSHA256 = datasetSHA256
    }

    /// What one metric took on one explainer's maps in this call (with batches side by side,
    /// the sum of their times, more than the wall-clock time).
    public struct Timing: Sendable { public var explainer, metric: String; public var seconds: Double; public var samples: Int }

    /// The store id of `metric`'s entries.
    public static func metricKey(_ metric: any Metric) -> String { metric.id }

    /// Checks, before any work, that every metric can run on these maps and this dataset.
    public func check(explainers keys: [String]) throws {
        let needs = metrics.reduce(MetricNeeds()) { $0.union(type(of: $1).needs) }
        if needs.contains(.groundTruth) && !dataset.hasMasks && dataset.boxes.isEmpty {
            let names = metrics.filter { type(of: $0).needs.contains(.groundTruth) }.map { type(of: $0).name }
            throw ProbityError.badFile(dataset.path, "\(names.joined(separator: ", ")) need ground truth, but the dataset has no /masks or /boxes")
        }
        let available = try cache.keys()
        for key in keys {
            guard let entry = try cache.info(key) else {
                throw ProbityError.badFile(cache.path, "no maps for explainer \(key); the file holds: \(available.joined(separator: ", "))")
            }
            var problems: [String] = []
            if entry.modelSHA256 != modelSHA256 { problems.append("another model (SHA-256 \(entry.modelSHA256))") }
            if entry.datasetSHA256 != datasetSHA256 { problems.append("another dataset (SHA-256 \(entry.datasetSHA256))") }
            if [entry.count, entry.height, entry.width] != [dataset.count, dataset.height, dataset.width] {
                problems.append("maps of shape \([entry.count, entry.height, entry.width]), the dataset has \([dataset.count, dataset.height, dataset.width])")
            }
            if !problems.isEmpty {
                throw ProbityError.badFile(cache.path, "/attributions/\(key) was made with \(problems.joined(separator: ", ")); explain again with this model and dataset")
            }
            if needs.contains(.explainer) && entry.name == Precomputed.name {
                let names = metrics.filter { type(of: $0).needs.contains(.explainer) }.map { type(of: $0).name }
                throw ProbityError.badFile(cache.path, "\(key) holds precomputed maps, which cannot be re-run on a changed model or input; \(names.joined(separator: ", ")) need the method itself (wrap it with `external`)")
            }
        }
    }

    /// The (metric, batch) units still to do for explainer `key` over `batches`.
    public func pending(explainer key: String, batches: [[Int]]) throws -> Int {
        let failed = try cache.diagnostics(key)["failed"] ?? []
        return try metrics.reduce(0) { total, metric in
            let done = try scored(Scoring.metricKey(metric), explainer: key, failed: failed)
            return total + batches.filter { b in !b.allSatisfy { $0 < done.count && done[$0] } }.count
        }
    }

    /// Which samples have scores of `metric` on `key`'s maps that still stand. Scores marked
    /// `failed` because the explainer had failed on the sample stand only while its map is a
    /// failure (`failed`, the cache's diagnostic): once a rerun explained it, it is scored again.
    func scored(_ metric: String, explainer key: String, failed: [Float]) throws -> [Bool] {
        guard let e = try store.entry(metric: metric, explainer: key) else { return [] }
        let v = e.variants.count
        guard v > 0, e.status.count == e.done.count * v else { return e.done }
        return e.done.indices.map { s in
            let markedFailed = (0..<v).contains { e.status(s, $0) == "failed" }
            return e.done[s] && !(markedFailed && !(s < failed.count && failed[s] == 1))
        }
    }

    /// Scores explainer `key`'s maps on `batches`; `step` is called after each metric and
    /// batch with the number of samples it scored (0 when it was already done).
    public func run(explainer key: String, batches: [[Int]], step: (Int) -> Void = { _ in }) throws -> [Timing] {
        guard let entry = try cache.info(key) else { throw ProbityError.badFile(cache.path, "no maps for explainer \(key)") }
        let context = "model=\(modelSHA256);dataset=\(datasetSHA256);seed=\(seed);target=\(entry.target);metric_target=\(metricTarget?.description ?? "cache");version=\(ProbityVersion.string)"
        // Samples whose explainer failed (an external program): their scores are `failed`.
        let failed = try cache.diagnostics(key)["failed"] ?? []
        var done: [[Bool]] = []
        for metric in metrics {
            try store.prepare(metric: Scoring.metricKey(metric), explainer: key, count: dataset.count, context: context)
            done.append(try scored(Scoring.metricKey(metric), explainer: key, failed: failed))
        }
        let needs = metrics.reduce(MetricNeeds()) { $0.union(type(of: $1).needs) }
        let explainer = needs.contains(.explainer) ? try ExplainerRegistry.make(entry.name, options: try cache.options(key)) : nil
        let targets = try cache.targets(key)
        let cacheDone = try cache.done(key)
        var seconds = [Double](repeating: 0, count: metrics.count), scored = [Int](repeating: 0, count: metrics.count)
        let lanes = Lanes.make(model: model, loader: loader, requested: workers, batches: batches.count, explainer: explainer)
        var next = 0
        while next < batches.count {
            // Up to one batch with work per lane, read here (HDF5 reads stay on one thread). A batch
            // that cannot be read ends the group; the batches before it are scored and stored first.
            var group: [Prepared] = []
            var firstError: Error? = nil
            while group.count < lanes.count && next < batches.count && firstError == nil {
                let part = batches[next]
                next += 1
                let todo = metrics.indices.filter { k in !part.allSatisfy { $0 < done[k].count && done[k][$0] } }
                guard !todo.isEmpty else { for _ in metrics { step(0) }; continue }
                do {
                    if let missing = part.first(where: { !cacheDone[$0] }) {
                        throw ProbityError.badFile(cache.path, "\(key) has no map for sample \(missing); explain it first")
                    }
                    let x = Tensor.concatenate(batch: try part.map { try dataset.modelInput($0..<($0 + 1)) })
                    let scoredTargets = try metricTarget?.targets(model: model, x: x, labels: part.map { dataset.labels[$0] }) ?? part.map { targets[$0] }
                    let maps = Tensor(shape: [part.count, dataset.height, dataset.width], storage: try cache.maps(key, samples: part).flatMap { $0 })
                    let regions = needs.contains(.groundTruth) ? try zip(part, scoredTargets).map { try dataset.groundTruth(sample: $0, target: $1) } : nil
                    let names = needs.contains(.groundTruth) ? dataset.sampleNames.map { all in part.map { all[$0] } } : nil
                    let boxClasses = needs.contains(.groundTruth) && !dataset.boxes.isEmpty ? part.map { Set(dataset.boxes(ofSample: $0).map(\.label)) } : nil
                    group.append(Prepared(part: part, todo: todo, x: x, targets: scoredTargets, maps: maps, regions: regions, names: names, boxClasses: boxClasses))
                } catch {
                    firstError = error
                }
            }
            // Each lane scores its batch; what finished is stored in batch order, then the first error is thrown.
            let outcomes = ExecutionContext.sideBySide(group.count) { j in score(group[j], lane: lanes[j], explainer: explainer, failed: failed) }
            let readError = firstError
            firstError = nil
            for (prepared, outcome) in zip(group, outcomes) {
                var stored = Set<Int>()
                for (k, batch) in outcome.batches {
                    try store.store(metric: Scoring.metricKey(metrics[k]), explainer: key, batch)
                    seconds[k] += batch.seconds
                    scored[k] += prepared.part.count
                    stored.insert(k)
                    step(prepared.part.count)
                }
                if let error = outcome.error {
                    firstError = firstError ?? error
                } else {
                    for k in metrics.indices where !stored.contains(k) { step(0) }
                }
            }
            if let error = firstError ?? readError { throw error }
        }
        return metrics.indices.map { Timing(explainer: key, metric: metrics[$0].id, seconds: seconds[$0], samples: scored[$0]) }
    }

    /// A batch read from the dataset and cache, with the metrics it still needs.
    struct Prepared {
        var part: [Int]
        var todo: [Int]
        var x: Tensor
        var targets: [Int]
        var maps: Tensor
        var regions: [[Bool]]?
        var names: [String]?
        var boxClasses: [Set<Int>]?
    }

    /// What scoring one batch gave: a store batch per finished metric (by index), and the error
    /// that stopped it, if one did.
    struct Scored { var batches: [(Int, ScoreStore.Batch)] = []; var error: Error? = nil }

    /// Runs the metrics `prepared` still needs, in order, on `lane`'s model.
    func score(_ prepared: Prepared, lane: Lane, explainer: (any Explainer)?, failed: [Float]) -> Scored {
        var out = Scored()
        for k in prepared.todo {
            let metric = metrics[k]
            let started = Date()
            let input = MetricInput(x: prepared.x, maps: prepared.maps, targets: prepared.targets, samples: prepared.part, seed: seed,
                                    preprocessing: dataset.preprocessing, explainer: explainer,
                                    regions: type(of: metric).needs.contains(.groundTruth) ? prepared.regions : nil,
                                    sampleNames: prepared.names, boxClasses: prepared.boxClasses, loader: lane.loader)
            do {
                let result = try metric.evaluate(input, model: lane.model)
                let variants = [MetricOutput.Variant(name: "", scores: result.scores, status: result.status)] + result.variants
                var values: [Float] = [], status: [String] = []
                for (j, sample) in prepared.part.enumerated() {
                    let explainerFailed = sample < failed.count && failed[sample] == 1
                    for v in variants { values.append(v.scores[j]); status.append(explainerFailed && v.status[j] != "skipped" ? "failed" : v.status[j]) }
                }
                out.batches.append((k, ScoreStore.Batch(samples: prepared.part, variants: variants.map(\.name), values: values, status: status,
                                                        curves: result.curves, seconds: Date().timeIntervalSince(started))))
            } catch {
                out.error = error
                return out
            }
        }
        return out
    }
}
