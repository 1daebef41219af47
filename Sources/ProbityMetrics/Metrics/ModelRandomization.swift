import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Model parameter randomization (Adebayo et al. 2018, "Sanity checks for saliency maps"):
/// the explainer is re-run on copies of the model whose layers are re-initialized (PyTorch's
/// defaults, the metric's seed), and each map is compared with the original model's by
/// Spearman correlation with and without absolute values, SSIM and HOG similarity
/// (`MapSimilarity`). `cascading` (default) randomizes from the output layer down, one more
/// layer per step; `independent` one layer at a time. Variants: `<layer>/<measure>` per step
/// (the layer is the lowest one randomized at that step) and `<measure>` per summary; the main
/// score is the Spearman correlation of absolute values with the fully randomized model
/// (cascading) or its mean over layers (independent). A method whose maps stay the same when
/// the model is destroyed fails the check; lower is better.
///
/// A constant map of the randomized model (Grad-CAM's is often all zero: no positive evidence
/// left) has no ranking, so its Spearman correlations are undefined. Probity's choice: that
/// sample's Spearman scores are NaN with status `nan`, left out of every mean, and summaries say
/// how many samples were scored (SSIM stays defined and is reported). Quantus (0.6, `MPRT` with
/// `correlation_spearman`) gets the same NaN from SciPy's `spearmanr` but keeps it in its
/// per-sample scores, so a plain mean over samples is NaN. Scoring such a map as 0 (no rank
/// agreement: fully changed) would be the other defensible reading; it is not what either
/// implementation computes, so Probity reports the undefined value as undefined instead.
public struct ModelRandomization: Metric {
    public static let name = "model_randomization"
    public static let summary = "Similarity of the maps to those of a randomized model, cascading or per layer (Adebayo et al. 2018); lower is better"
    public static let higherIsBetter = false
    public static let needs: MetricNeeds = .explainer
    public static let optionSpecs = [
        OptionSpec("mode", default: "cascading", .choice(["cascading", "independent"]), "randomize from the top down, or one layer at a time"),
        OptionSpec("layers", default: "all", .text, "all, or N: that many steps evenly spaced (always the first and the full randomization)"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        if options.string("layers") != "all" && (Int(options.string("layers")) ?? 0) < 1 {
            throw ProbityError.invalidArgument("\(Self.name): layers must be all or a positive integer, got \(options.string("layers"))")
        }
    }

    /// The steps taken among `count`: all, or n evenly spaced including the first and last.
    public static func steps(_ text: String, count: Int) -> [Int] {
        guard let n = Int(text), n < count else { return Array(0..<count) }
        if n == 1 { return [count - 1] }
        return Array(Set((0..<n).map { Int((Double($0) * Double(count - 1) / Double(n - 1)).rounded()) })).sorted()
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let explainer = try input.requireExplainer(Self.name)
        let layers = try model.layers
        guard !layers.isEmpty else { throw ProbityError.invalidArgument("\(Self.name): the model has no layers with weights") }
        let cascading = options.string("mode") == "cascading"
        let original = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: model))
        var perStep: [[MapSimilarity: MetricOutput.Variant]] = []
        var more: [MetricOutput.Variant] = []
        for k in Self.steps(options.string("layers"), count: layers.count) {
            // Cascading step k: the top k + 1 layers; independent: layer k from the top.
            let name = layers[layers.count - 1 - k]
            let chosen = cascading ? Randomization.cascade(layers, step: k) : [name]
            let randomized = try model.randomized(layers: chosen, seed: input.seed)
            let maps = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: randomized))
            let v = SanityCheck.variants(prefix: name + "/", original: original, changed: maps, height: input.height, width: input.width)
            perStep.append(v)
            more += MapSimilarity.allCases.map { v[$0]! }
        }
        // Summaries per measure: the last cascading step, or the mean over independent layers.
        var summaries: [MapSimilarity: MetricOutput.Variant] = [:]
        for m in MapSimilarity.allCases {
            if cascading {
                var last = perStep.last![m]!
                last.name = m.rawValue
                summaries[m] = last
            } else {
                let scores = (0..<input.count).map { s in perStep.reduce(Float(0)) { $0 + $1[m]!.scores[s] } / Float(perStep.count) }
                summaries[m] = MetricOutput.Variant(name: m.rawValue, scores: scores, status: zip(scores, original).map { MetricOutput.status(score: $0, map: $1) })
            }
        }
        return SanityCheck.output(summaries, main: .spearmanAbs, more: more)
    }
}
