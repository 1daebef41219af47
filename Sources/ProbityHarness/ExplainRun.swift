import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityONNX

/// `probity explain`: one explainer over dataset samples into the attribution cache (a rerun
/// computes only what is missing; a run killed part-way keeps every finished batch), optional
/// PNG overlays.
public struct ExplainRun {
    public var modelPath: String
    public var datasetPath: String
    public var explainer: any Explainer
    public var indices: [Int]
    public var target: TargetRule = .predicted
    public var out: String
    public var png: String? = nil
    public var seed: UInt64 = 0
    /// Samples per explainer call.
    public var batch: Int = 8
    public var overwrite = false
    /// Mark samples whose external explainer fails `failed` and go on (`--keep-going`).
    public var keepGoing = false

    public init(modelPath: String, datasetPath: String, explainer: any Explainer, indices: [Int], out: String) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.explainer = explainer; self.indices = indices; self.out = out
    }

    public struct Summary: Sendable {
        /// The cache key the maps are under.
        public var id: String
        public var computed: Int
        public var reused: Int
        public var seconds: Double
        /// Samples whose explainer failed (external programs), with the reason.
        public var failures: [(sample: Int, reason: String)]
        /// Samples whose maps are constant (all zero, say) or hold NaN/Inf.
        public var constant: [Int]
        public var nonFinite: [Int]
    }

    public func run(progress: ProgressHandler? = nil) throws -> Summary {
        PNGBaselineLoader.install()
        let dataset = try Dataset(path: datasetPath)
        let model = try ModelLoading.load(modelPath, for: dataset)
        if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
            throw ProbityError.invalidArgument("index \(bad) out of range for \(datasetPath) (\(dataset.count) samples)")
        }
        try ModelLoading.check(target, model: model, modelPath: modelPath)
        let lock = try RunLock(file: out)
        defer { withExtendedLifetime(lock) {} }
        let cache = try AttributionCache(path: out)
        defer { cache.close() }
        try cache.commit()
        var stage = Explaining(model: model, dataset: dataset, cache: cache, modelSHA256: try FileHash.sha256(modelPath), datasetSHA256: try FileHash.sha256(datasetPath))
        stage.target = target
        stage.seed = seed
        stage.keepGoing = keepGoing
        let (key, _) = try stage.prepare(explainer, replace: overwrite)
        // The samples still missing, in batches (a rerun over more samples computes only the new ones).
        let finished = try cache.done(key)
        let batches = RunPlan(samples: indices.filter { !finished[$0] }, batch: batch).batches
        let total = try stage.pending(key, batches: batches).reduce(0) { $0 + $1.count }
        var done = 0
        progress?(ProgressEvent(stage: "explain", done: 0, total: total, detail: type(of: explainer).name))
        let outcome: Explaining.Outcome
        do {
            outcome = try stage.run(explainer, key: key, batches: batches, png: png) { n in
                done += n
                progress?(ProgressEvent(stage: "explain", done: done, total: total, detail: type(of: explainer).name))
            }
        } catch {
            try? cache.abandon(key)   // a method that refused the model leaves no empty entry
            try? cache.commit()
            throw error
        }
        try cache.commit()
        return Summary(id: key, computed: outcome.computed, reused: indices.count - outcome.computed, seconds: outcome.seconds, failures: outcome.failures,
                       constant: outcome.constant, nonFinite: outcome.nonFinite)
    }
}
