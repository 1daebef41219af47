import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityReports

/// Explaining: one explainer over batches of dataset samples into the attribution cache, one
/// journal record per batch, skipping batches already there — the stage `probity explain` and
/// `probity run` share. A failed external program stops the stage with its message (batches
/// finished before it stay in the journal); with `keepGoing` its samples are marked failed
/// instead (NaN maps, the `failed` diagnostic, `failed` scores) and the stage goes on. A rerun
/// explains the failed samples again (`pending`), and `Scoring` then scores them again. A
/// small model's batches are explained side by side (`Lanes`).
public struct Explaining {
    public var model: any Model
    public var dataset: Dataset
    public var cache: AttributionCache
    public var target: TargetRule = .predicted
    public var seed: UInt64 = 0
    /// Mark the samples of a failed external program `failed` and go on, instead of stopping.
    public var keepGoing = false
    /// How many batches are explained side by side, each on its own copy of the model
    /// (`Lanes`); nil chooses (a small model's threads, else 1). The maps are the same
    /// bits either way and are stored in batch order; `Outcome.seconds` sums the batches' times.
    public var workers: Int? = nil
    public var modelSHA256: String
    public var datasetSHA256: String

    public init(model: any Model, dataset: Dataset, cache: AttributionCache, modelSHA256: String, datasetSHA256: String) {
        self.model = model; self.dataset = dataset; self.cache = cache; self.modelSHA256 = modelSHA256; self.datasetSHA256 = datasetSHA256
    }

    /// The cache key of `explainer` in this run (its id, with the seed for seeded methods).
    public func key(_ explainer: any Explainer) -> String {
        AttributionCache.key(id: explainer.id, seeded: explainer.seeded, seed: seed)
    }

    /// Readies `explainer`'s cache entry; one made with another model, dataset or target rule
    /// is an error unless `replace`. Returns the key and whether an old entry was replaced.
    public func prepare(_ explainer: any Explainer, replace: Bool) throws -> (key: String, replaced: Bool) {
        let key = key(explainer)
        var entry = AttributionCache.Entry(key: key, optionsJSON: explainer.options.json, target: target.description,
                                           modelSHA256: modelSHA256, datasetSHA256: datasetSHA256, seed: explainer.seeded ? seed : nil)
        (entry.count, entry.height, entry.width) = (dataset.count, dataset.height, dataset.width)
        return (key, try cache.prepare(entry, replace: replace))
    }

    public struct Outcome: Sendable {
        public var computed = 0, reused = 0
        public var seconds = 0.0
        public var failures: [(sample: Int, reason: String)] = []
        /// Samples whose map came out constant (all equal: often all zero) or not finite.
        public var constant: [Int] = [], nonFinite: [Int] = []
    }

    /// Batches of `batches` that still need maps: a sample not explained yet, or one an
    /// external program failed on (kept `failed` under `keepGoing`): a rerun tries those again,
    /// and only those.
    public func pending(_ key: String, batches: [[Int]]) throws -> [[Int]] {
        let done = try cache.done(key)
        let failed = try cache.diagnostics(key)["failed"] ?? []
        return batches.filter { !$0.allSatisfy { done[$0] && !($0 < failed.count && failed[$0] == 1) } }
    }

    /// Explains the samples of `batches` not yet in the cache; `step` gets the samples done.
    public func run(_ explainer: any Explainer, key: String, batches: [[Int]], png: String? = nil, step: (Int) -> Void = { _ in }) throws -> Outcome {
        var outcome = Outcome()
        let todo = try pending(key, batches: batches)
        outcome.reused = batches.reduce(0) { $0 + $1.count } - todo.reduce(0) { $0 + $1.count }
        if let png { try FileManager.default.createDirectory(atPath: png, withIntermediateDirectories: true) }
        let plane = dataset.height * dataset.width
        let lanes = Lanes.make(model: model, loader: nil, requested: workers, batches: todo.count, explainer: explainer)
        var next = 0
        while next < todo.count {
            // Up to one batch per lane: inputs read and targets chosen here, explained side by side.
            let parts = Array(todo[next..<Swift.min(next + lanes.count, todo.count)])
            next += parts.count
            // A batch that cannot be read ends the group; the batches before it are explained and stored first.
            var batches: [ExplainBatch] = []
            var readError: Error? = nil
            for part in parts {
                do {
                    let x = Tensor.concatenate(batch: try part.map { try dataset.modelInput($0..<($0 + 1)) })
                    let (targets, logits) = try target.targetsAndLogits(model: model, x: x, labels: part.map { dataset.labels[$0] })
                    if let bad = targets.first(where: { $0 < 0 }) { throw ProbityError.invalidArgument("class \(bad) is not a class index") }
                    batches.append(ExplainBatch(x: x, targets: targets, samples: part, seed: seed, preprocessing: dataset.preprocessing, logits: logits))
                } catch {
                    readError = error
                    break
                }
            }
            let explained = ExecutionContext.sideBySide(batches.count) { j in
                let began = Date()
                let result = Result { try explainer.explain(batches[j], model: lanes[j].model) }
                return (result, Date().timeIntervalSince(began))
            }
            // Stored in batch order; an error is thrown after the batches that finished are stored.
            var firstError: Error? = nil
            for (b, part) in parts.prefix(batches.count).enumerated() {
                var result: Attribution
                var failed: Float = 0
                switch explained[b].0 {
                case .success(let attribution):
                    result = attribution
                case .failure(let e as ExplainerFailure):
                    guard keepGoing else {
                        let which = part.count == 1 ? "sample \(part[0])" : "samples \(part.map(String.init).joined(separator: ", "))"
                        firstError = firstError ?? ProbityError.invalidArgument("\(e.message) (on \(which); --keep-going marks such samples failed and goes on)")
                        continue
                    }
                    failed = 1
                    result = Attribution(maps: Tensor(shape: [part.count, dataset.height, dataset.width], storage: [Float](repeating: .nan, count: part.count * plane)))
                    outcome.failures.append(contentsOf: part.map { ($0, e.message) })
                case .failure(let e):
                    firstError = firstError ?? e
                    continue
                }
                result.diagnostics["failed"] = [Float](repeating: failed, count: part.count)
                let took = explained[b].1
                outcome.seconds += took
                try cache.store(key, samples: part, maps: result.maps.storage, targets: batches[b].targets, diagnostics: result.diagnostics, seconds: took)
                for (j, sample) in part.enumerated() {
                    let map = result.maps.storage[(j * plane)..<((j + 1) * plane)]
                    if failed == 0 {
                        if map.contains(where: { !$0.isFinite }) { outcome.nonFinite.append(sample) }
                        else if let first = map.first, map.allSatisfy({ $0 == first }) { outcome.constant.append(sample) }
                    }
                    if let png {
                        let pixels = try dataset.pixels(sample..<(sample + 1))
                        let name = "\(png)/\(String(format: "%05d", sample))_\(type(of: explainer).name).png"
                        try Heatmap.overlay(map: Array(map), pixels: pixels, height: dataset.height, width: dataset.width, channels: dataset.channels,
                                            signed: type(of: explainer).signed).write(to: name)
                    }
                }
                outcome.computed += part.count
                step(part.count)
            }
            if let error = firstError ?? readError { throw error }
        }
        return outcome
    }
}
