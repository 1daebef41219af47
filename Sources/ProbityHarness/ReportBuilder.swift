import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX
import ProbityReports

/// The chart report of a run folder (`probity report`, and the last stage of `run`, `merge`
/// and `evaluate`): the tables come from the folder's CSVs; the harness adds what only it can
/// make — overlays of a few samples' maps on their images, and, when the run has a model
/// randomization score, the maps of the first sample as the model's layers are randomized
/// from the top (the figure of Adebayo et al. 2018). `ReportWriter` writes `report.html`,
/// `charts/*.svg` and `heatmaps/*.png`.
public struct ReportBuilder {
    public var directory: String
    /// Samples shown in the overlay grid.
    public var overlaySamples = 4
    /// Randomization steps shown per explainer (evenly spaced, the full randomization last).
    public var sanitySteps = 5

    public init(directory: String) { self.directory = directory }

    /// Writes the report; returns the files written (relative to the folder).
    @discardableResult
    public func write() throws -> [String] {
        var input = try ReportInput(directory: directory)
        if let run = input.run {
            do { try addMaps(to: &input, run: run) } catch let e as ProbityError {
                // The tables alone still make a report; say why the pictures are missing.
                FileHandle.standardError.write(Data("probity: report without map pictures: \(e)\n".utf8))
            }
        }
        return try ReportWriter.write(input, to: directory)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) ? path : directory + "/" + path
    }

    func addMaps(to input: inout ReportInput, run: RunRecord) throws {
        let datasetPath = resolve(run.dataset.path)
        guard FileManager.default.fileExists(atPath: datasetPath) else { throw ProbityError.badFile(datasetPath, "the run's dataset is not there") }
        let cachePath = run.attributions.map(resolve) ?? directory + "/cache/attributions.h5"
        guard FileManager.default.fileExists(atPath: cachePath) else { throw ProbityError.badFile(cachePath, "the run's attribution cache is not there") }
        let dataset = try Dataset(path: datasetPath)
        let cache = try AttributionCache(path: cachePath)
        defer { cache.close() }
        // The model, loaded only when a picture needs it (an `auto` CAM layer to name, randomized maps).
        let modelPath = resolve(run.model.path)
        var loaded: ONNXModel? = nil
        func model() throws -> ONNXModel {
            if let loaded { return loaded }
            guard FileManager.default.fileExists(atPath: modelPath) else { throw ProbityError.badFile(modelPath, "the run's model is not there") }
            loaded = try ModelLoading.load(modelPath, for: dataset)
            return loaded!
        }
        let scored = Set(input.perSample.map(\.sample)).sorted()
        let samples = Array(scored.prefix(overlaySamples))
        for key in run.explainers {
            guard let entry = try cache.info(key) else { continue }
            let done = try cache.done(key)
            let type = try? ExplainerRegistry.type(named: entry.name)
            let options = (try? cache.options(key)) ?? [:]
            var layer = options["layer"]
            if layer == "auto" { layer = try? CAMLayer.resolve("auto", model: try model()) }
            for (s, map) in zip(samples.filter { $0 < done.count && done[$0] }, try cache.maps(key, samples: samples.filter { $0 < done.count && done[$0] })) {
                input.overlays.append(ReportInput.OverlayCell(sample: s, explainer: key, map: map, pixels: try dataset.pixels(s..<(s + 1)),
                                                              height: dataset.height, width: dataset.width, channels: dataset.channels,
                                                              signed: type?.signed ?? false, layer: layer))
            }
        }
        guard input.summary.contains(where: { $0.metric.prefix { $0 != "@" } == "model_randomization" }), let sample = samples.first else { return }
        guard FileManager.default.fileExists(atPath: modelPath) else { return }
        let model = try model()
        let layers = try model.layers
        guard !layers.isEmpty else { return }
        let steps = ModelRandomization.steps(String(sanitySteps), count: layers.count)
        let x = try dataset.modelInput(sample..<(sample + 1))
        PNGBaselineLoader.install()
        let randomized = try steps.map { k in (k, try model.randomized(layers: Randomization.cascade(layers, step: k), seed: run.seed)) }
        for key in run.explainers {
            guard let entry = try cache.info(key), !ExplainerName(key).isControl,
                  let explainer = try? ExplainerRegistry.make(entry.name, options: try cache.options(key)), entry.name != Precomputed.name, entry.name != External.name else { continue }
            let target = try cache.targets(key)[sample]
            guard target >= 0 else { continue }
            var maps: [(label: String, map: [Float])] = [("original", try cache.maps(key, samples: [sample])[0])]
            for (k, m) in randomized {
                let batch = ExplainBatch(x: x, targets: [target], samples: [sample], seed: run.seed, preprocessing: dataset.preprocessing)
                maps.append((layers[layers.count - 1 - k], try explainer.explain(batch, model: m).maps.storage))
            }
            input.sanityMaps.append(ReportInput.SanityMapRow(explainer: key, maps: maps, height: dataset.height, width: dataset.width,
                                                             signed: type(of: explainer).signed))
        }
    }
}
