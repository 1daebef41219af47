import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The random logit test (Sixt, Granz & Landgraf 2020, "When explanations lie: why many
/// modified BP attributions fail"): the map of the target is compared with the map of a
/// random other class (uniform over the rest, from the sample's random stream), by each
/// `MapSimilarity` measure (variants). A class-sensitive method gives different maps; lower
/// is better.
///
/// Main score (`main`): `ssim` (default) is the sanity-check measure Probity uses everywhere
/// — 2-D SSIM (7 × 7 windows) of |map| / max |map|, data range 1. Quantus' `RandomLogit`
/// (0.6, defaults) instead divides each signed map by its maximum magnitude, flattens it and
/// takes 1-D SSIM (windows of 7 consecutive pixels, which run across row ends) with data range
/// max − min over both maps; `quantus_ssim` gives exactly that (and adds it as the variant
/// `quantus_ssim`). Ours stays the default because SSIM is a measure of 2-D structure and the
/// flattened form compares each pixel with its row neighbours only. The other class is drawn
/// uniformly from the rest as Quantus does, from Probity's seeded stream (not NumPy's).
public struct RandomLogit: Metric {
    public static let name = "random_logit"
    public static let summary = "Similarity of the target's map to a random other class's map (Sixt et al. 2020); lower is better"
    public static let higherIsBetter = false
    public static let needs: MetricNeeds = .explainer
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("main", default: "ssim", .choice(["ssim", "quantus_ssim"]),
                   "main score: ssim (2-D SSIM of |map|/max, data range 1) or quantus_ssim (Quantus: 1-D SSIM of the flattened signed maps / max |map|, data range max - min)"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let explainer = try input.requireExplainer(Self.name)
        let classes = try model.logits(input.x.item(0)).shape[1]
        guard classes > 1 else { throw ProbityError.invalidArgument("\(Self.name) needs a model with at least two classes") }
        let others = (0..<input.count).map { s -> Int in
            // Keyed by the name alone (the id before `main` existed), so both main scores compare
            // the same other class and earlier runs keep their draws.
            var rng = RNG(seed: input.seed, stream: [.name(Self.name), .number(input.samples[s])])
            let k = rng.int(below: classes - 1)
            return k >= input.targets[s] ? k + 1 : k
        }
        let original = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: model))
        let changed = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: others, samples: input.samples, model: model))
        let variants = SanityCheck.variants(prefix: "", original: original, changed: changed, height: input.height, width: input.width)
        guard options.string("main") == "quantus_ssim" else { return SanityCheck.output(variants, main: .ssim) }
        let scores = zip(original, changed).map { Float(SSIM.quantus($0, $1)) }
        let quantus = MetricOutput.Variant(name: "quantus_ssim", scores: scores, status: zip(scores, original).map { MetricOutput.status(score: $0, map: $1) })
        return MetricOutput(scores: quantus.scores, status: quantus.status, variants: MapSimilarity.allCases.map { variants[$0]! } + [quantus])
    }
}
