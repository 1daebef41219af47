import Foundation
import XCTest
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
@testable import ProbityHarness

/// DESIGN.md's determinism convention at the library level: every per-sample random stream —
/// the random explainers' (RISE masks, SmoothGrad / SmoothGrad² / VarGrad noise, LIME and
/// KernelSHAP coalitions, the `random` control, noise baselines) and the random metrics'
/// (ROAD's imputation noise, infidelity's perturbations, max-sensitivity's ball, the noise
/// substrate of deletion and MoRF/LeRF, faithfulness correlation's subsets, random_logit's
/// class draw, the explainer re-runs of the sanity checks) — is keyed by (seed, id, dataset
/// sample), so a sample's map, scores and curve are the same bits whatever batch it shares,
/// which other samples are selected, and which shard it lands in.
///
/// The plausible bug this catches: a stream keyed by the position in the batch (`i` instead of
/// `samples[i]`), or one generator drawn across a whole batch, or a batch-dependent forward.
/// Each then gives different numbers for the same sample under another grouping.
final class DeterminismTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Seeded explainers with cheap options (few masks, samples, coalitions).
    static func explainers() throws -> [any Explainer] {
        try [
            ExplainerRegistry.make("rise", options: ["masks": "24", "cells": "4"]),
            ExplainerRegistry.make("smoothgrad", options: ["samples": "3"]),
            ExplainerRegistry.make("smoothgrad_sq", options: ["samples": "3"]),
            ExplainerRegistry.make("vargrad", options: ["samples": "3"]),
            ExplainerRegistry.make("lime", options: ["samples": "24", "segmentation": "slic", "n_segments": "12"]),
            ExplainerRegistry.make("kernel_shap", options: ["samples": "24", "segmentation": "slic", "n_segments": "12"]),
            ExplainerRegistry.make("random", options: [:]),
            ExplainerRegistry.make("integrated_gradients", options: ["steps": "3", "baseline": "noise"]),
            ExplainerRegistry.make("saliency", options: [:]),   // no stream of its own: the metrics' streams alone vary its scores
        ]
    }

    /// Metrics that draw random numbers per sample.
    static func metrics() throws -> [any Metric] {
        try [
            MetricRegistry.make("deletion", options: ["substrate": "noise", "step": "512"]),
            MetricRegistry.make("morf", options: ["steps": "6"]),                      // noise substrate by default
            MetricRegistry.make("lerf", options: ["steps": "6"]),
            MetricRegistry.make("road_morf", options: ["percent": "20,60"]),
            MetricRegistry.make("infidelity", options: ["perturbations": "4"]),
            MetricRegistry.make("faithfulness_correlation", options: ["runs": "4", "substrate": "noise"]),
        ]
    }

    /// Metrics that re-run the explainer (drawing its streams again on changed inputs, classes
    /// or models) and draw their own; run on `rerun`'s explainers only, to keep the test fast.
    static func rerunMetrics() throws -> [any Metric] {
        try [
            MetricRegistry.make("max_sensitivity", options: ["samples": "2"]),
            MetricRegistry.make("random_logit", options: [:]),
            MetricRegistry.make("model_randomization", options: ["layers": "1"]),
        ]
    }
    static let rerun: Set<String> = ["rise", "lime", "random", "saliency"]

    /// What a grouping produced, per (explainer key, sample) and (metric, explainer key, sample).
    struct Results {
        var maps: [String: [Int: [UInt32]]] = [:]
        var scores: [String: [Int: [UInt32]]] = [:]
        var status: [String: [Int: [String]]] = [:]
        var curves: [String: [Int: [UInt32]]] = [:]
    }

    /// Explains and scores `batches` into a fresh cache and store, as `probity run` does.
    func run(_ batches: [[Int]], seed: UInt64, name: String, dataset: Dataset, model: any Model, workers: Int = 1) throws -> Results {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-determinism-\(getpid())-\(name)").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = try AttributionCache(path: dir + "/attributions.h5"), store = ScoreStore(path: dir + "/scores.h5")
        defer { cache.close(); store.close() }
        var explaining = Explaining(model: model, dataset: dataset, cache: cache, modelSHA256: "m", datasetSHA256: "d")
        explaining.seed = seed
        explaining.workers = workers
        var scoring = Scoring(model: model, dataset: dataset, cache: cache, store: store, metrics: try Self.metrics(), modelSHA256: "m", datasetSHA256: "d")
        scoring.seed = seed
        scoring.workers = workers
        var rescoring = Scoring(model: model, dataset: dataset, cache: cache, store: store, metrics: try Self.rerunMetrics(), modelSHA256: "m", datasetSHA256: "d")
        rescoring.seed = seed
        rescoring.workers = workers
        var results = Results()
        let samples = batches.flatMap { $0 }
        for explainer in try Self.explainers() {
            let (key, _) = try explaining.prepare(explainer, replace: false)
            _ = try explaining.run(explainer, key: key, batches: batches)
            for (sample, map) in zip(samples, try cache.maps(key, samples: samples)) { results.maps[explainer.id, default: [:]][sample] = map.map(\.bitPattern) }
            _ = try scoring.run(explainer: key, batches: batches)
            if Self.rerun.contains(type(of: explainer).name) { _ = try rescoring.run(explainer: key, batches: batches) }
            for metric in scoring.metrics + (Self.rerun.contains(type(of: explainer).name) ? rescoring.metrics : []) {
                let entry = try XCTUnwrap(try store.entry(metric: metric.id, explainer: key))
                let name = "\(metric.id) of \(explainer.id)"
                for s in samples {
                    XCTAssertTrue(entry.done[s], "\(name): sample \(s) not scored")
                    results.scores[name, default: [:]][s] = entry.variants.indices.map { entry.value(s, $0).bitPattern }
                    results.status[name, default: [:]][s] = entry.variants.indices.map { entry.status(s, $0) }
                    if let curve = entry.curve(s) { results.curves[name, default: [:]][s] = curve.map(\.bitPattern) }
                }
            }
        }
        return results
    }

    /// Which models score their batches side by side: the shapes CNN (a 0.5 MB plan) on every
    /// thread, EfficientNet-Lite0 (27 MB) on one lane, and any model given one thread on one lane.
    func testSmallModelsScoreBatchesSideBySide() throws {
        let shapes = try ModelLoading.load(Self.repository + "/models/shapes_cnn.onnx", for: try Dataset(path: Self.repository + "/datasets/shapes.h5"))
        XCTAssertLessThan(try shapes.planBytes(batch: 1), Lanes.smallModelBytes)
        XCTAssertEqual(Lanes.automaticCount(shapes.concurrentCopy(threads: 2)), 2)
        XCTAssertEqual(Lanes.automaticCount(shapes.concurrentCopy(threads: 1)), 1)
        let lite0 = try ModelLoading.load(Self.repository + "/models/efficientnet_lite0.onnx", for: try Dataset(path: Self.repository + "/datasets/photos.h5"))
        XCTAssertGreaterThan(try lite0.planBytes(batch: 1), Lanes.smallModelBytes)
        XCTAssertEqual(Lanes.automaticCount(lite0.concurrentCopy(threads: 2)), 1)
        // What `workers: 2` gives the side-by-side grouping below: two copies, one thread and half
        // the plan budget each; one lane for a single batch and for the external explainer.
        let lanes = Lanes.make(model: shapes.concurrentCopy(threads: 2), loader: nil, requested: 2, batches: 4, explainer: nil)
        XCTAssertEqual(lanes.count, 2)
        XCTAssertFalse(lanes[0].model === lanes[1].model)
        XCTAssertEqual(lanes.map(\.model.threads), [1, 1])
        XCTAssertEqual(lanes.compactMap { ($0.model as? GraphModel)?.planMemoryBudget }, [shapes.planMemoryBudget / 2, shapes.planMemoryBudget / 2])
        XCTAssertEqual(Lanes.make(model: shapes, loader: nil, requested: 2, batches: 1, explainer: nil).count, 1)
        let external = try ExplainerRegistry.make("external", options: ["command": "true"])
        XCTAssertEqual(Lanes.make(model: shapes, loader: nil, requested: 2, batches: 4, explainer: external).count, 1)
    }

    func testEveryRandomStreamFollowsTheSampleNotItsBatchSelectionOrShard() throws {
        let dataset = try Dataset(path: Self.repository + "/datasets/shapes.h5")
        let model = try ModelLoading.load(Self.repository + "/models/shapes_cnn.onnx", for: dataset)
        let samples = [5, 6, 12, 21]
        let reference = try run(RunPlan(samples: samples, batch: 3).batches, seed: 7, name: "reference", dataset: dataset, model: model)
        XCTAssertEqual(reference.maps.count, 9)
        XCTAssertEqual(reference.scores.count, 9 * 6 + 4 * 3)
        let groupings: [(String, [[Int]], workers: Int)] = [
            ("batch1", RunPlan(samples: samples, batch: 1).batches, 1),
            // Another `--indices` selection: two of the samples, in one batch at other positions.
            ("selection", RunPlan(samples: [6, 21], batch: 2).batches, 1),
            // Shard 2/2 of a run in batches of 2 ([5, 6], [12, 21]): [12, 21].
            ("shard", RunPlan(samples: samples, batch: 2).batches(of: try Shard(index: 2, count: 2)), 1),
            // Batches scored side by side on one-thread copies of the model (a small model's default).
            ("side by side", RunPlan(samples: samples, batch: 1).batches, 2),
        ]
        for (name, batches, workers) in groupings {
            let got = try run(batches, seed: 7, name: name, dataset: dataset, model: model, workers: workers)
            for s in batches.flatMap({ $0 }) {
                for (id, maps) in reference.maps { XCTAssertEqual(got.maps[id]?[s], maps[s], "\(id): the map of sample \(s) changes under \(name)") }
                for (id, scores) in reference.scores {
                    XCTAssertEqual(got.scores[id]?[s], scores[s], "\(id): the scores of sample \(s) change under \(name)")
                    XCTAssertEqual(got.status[id]?[s], reference.status[id]?[s], "\(id): the statuses of sample \(s) change under \(name)")
                    XCTAssertEqual(got.curves[id]?[s], reference.curves[id]?[s], "\(id): the curve of sample \(s) changes under \(name)")
                }
            }
        }
        // The streams are live: another seed changes every seeded map, and every score of the
        // seed-free saliency map that draws from a metric's stream (so the comparisons above are
        // between numbers that could have differed).
        let other = try run([[5, 6]], seed: 8, name: "seed", dataset: dataset, model: model)
        for (id, maps) in reference.maps {
            if id.hasPrefix("saliency") { XCTAssertEqual(other.maps[id]?[6], maps[6]) } else { XCTAssertNotEqual(other.maps[id]?[6], maps[6], "\(id): the seed does not reach the map") }
        }
        for metric in ["deletion", "morf", "lerf", "road_morf", "infidelity", "faithfulness_correlation", "max_sensitivity"] {
            let id = try XCTUnwrap(reference.scores.keys.first { $0.hasPrefix(metric + "@") && $0.contains(" of saliency@") }, metric)
            XCTAssertNotEqual(other.scores[id]?[6], reference.scores[id]?[6], "\(id): the seed does not reach the score")
        }
    }
}
