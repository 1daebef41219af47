import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityONNX
import ProbityReports

/// `probity explain`: one explainer over dataset samples, maps into the attribution cache as
/// they are computed (a rerun computes only what is missing), optional PNG overlays.
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

    public init(modelPath: String, datasetPath: String, explainer: any Explainer, indices: [Int], out: String) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.explainer = explainer; self.indices = indices; self.out = out
    }

    public struct Summary: Sendable {
        public var id: String
        public var computed: Int
        public var reused: Int
        public var seconds: Double
        /// Samples whose explainer failed (external programs), with the reason.
        public var failures: [(sample: Int, reason: String)]
    }

    /// Methods whose maps are signed (sum over channels) rather than magnitudes.
    static let signed: Set<String> = ["gradient_x_input", "integrated_gradients", "guided_backprop", "deconvnet", "guided_gradcam", "occlusion", "lrp", "external", "precomputed"]

    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let model = try ONNXModel(path: modelPath)
        let dataset = try Dataset(path: datasetPath)
        guard [dataset.channels, dataset.height, dataset.width] == model.inputShape else {
            throw ProbityError.badFile(datasetPath, "images are \(dataset.channels)×\(dataset.height)×\(dataset.width), the model \(modelPath) takes \(model.inputShape.map(String.init).joined(separator: "×"))")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
            throw ProbityError.invalidArgument("index \(bad) out of range for \(datasetPath) (\(dataset.count) samples)")
        }
        let cache = try AttributionCache(path: out)
        defer { cache.close() }
        let id = explainer.id
        try cache.prepare(AttributionCache.Entry(id: id, optionsJSON: explainer.options.json, target: target.description,
                                                 modelSHA256: try FileHash.sha256(modelPath), datasetSHA256: try FileHash.sha256(datasetPath)),
                          count: dataset.count, height: dataset.height, width: dataset.width, overwrite: overwrite)
        let finished = try cache.done(id)
        let todo = indices.filter { !finished[$0] }
        if let png { try FileManager.default.createDirectory(atPath: png, withIntermediateDirectories: true) }
        var seconds = 0.0
        var completed = 0
        var failures: [(Int, String)] = []
        progress?(0, todo.count)
        var start = 0
        while start < todo.count {
            let part = Array(todo[start..<min(todo.count, start + batch)])
            let x = Tensor.concatenate(batch: try part.map { try dataset.modelInput($0..<($0 + 1)) })
            let targets = try target.targets(model: model, x: x, labels: part.map { dataset.labels[$0] })
            let began = Date()
            var result: Attribution
            var failure: String? = nil
            do {
                result = try explainer.explain(ExplainBatch(x: x, targets: targets, samples: part, seed: seed, preprocessing: dataset.preprocessing), model: model)
            } catch let e as ExplainerFailure {
                // A failed external explainer marks these samples failed (NaN maps) and the run goes on.
                failure = e.message
                result = Attribution(maps: Tensor(shape: [part.count, dataset.height, dataset.width], storage: [Float](repeating: .nan, count: part.count * dataset.height * dataset.width)))
                failures.append(contentsOf: part.map { ($0, e.message) })
            }
            if failure == nil { result.diagnostics["failed"] = [Float](repeating: 0, count: part.count) } else { result.diagnostics["failed"] = [Float](repeating: 1, count: part.count) }
            let took = Date().timeIntervalSince(began)
            seconds += took
            let plane = dataset.height * dataset.width
            for (j, sample) in part.enumerated() {
                let map = Array(result.maps.storage[(j * plane)..<((j + 1) * plane)])
                try cache.store(id, sample: sample, map: map, target: targets[j], diagnostics: result.diagnostics.mapValues { $0[j] },
                                seconds: took / Double(part.count))
                if let png {
                    let pixels = try dataset.pixels(sample..<(sample + 1))
                    let name = "\(png)/\(String(format: "%05d", sample))_\(type(of: explainer).name).png"
                    try Heatmap.overlay(map: map, pixels: pixels, height: dataset.height, width: dataset.width, channels: dataset.channels,
                                        signed: ExplainRun.signed.contains(type(of: explainer).name)).write(to: name)
                }
            }
            completed += part.count
            progress?(completed, todo.count)
            start += batch
        }
        return Summary(id: id, computed: todo.count, reused: indices.count - todo.count, seconds: seconds, failures: failures)
    }
}
