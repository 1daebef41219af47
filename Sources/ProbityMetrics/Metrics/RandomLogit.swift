import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The random logit test (Sixt, Granz & Landgraf 2020, "When explanations lie: why many
/// modified BP attributions fail"): the map of the target is compared with the map of a
/// random other class (uniform over the rest, from the sample's random stream), by each
/// `MapSimilarity` measure (variants); the main score is SSIM, as Quantus. A class-sensitive
/// method gives different maps; lower is better.
public struct RandomLogit: Metric {
    public static let name = "random_logit"
    public static let summary = "Similarity of the target's map to a random other class's map (Sixt et al. 2020); lower is better"
    public static let higherIsBetter = false
    public static let needs: MetricNeeds = .explainer
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let explainer = try input.requireExplainer(Self.name)
        let classes = try model.logits(input.x.item(0)).shape[1]
        guard classes > 1 else { throw ProbityError.invalidArgument("\(Self.name) needs a model with at least two classes") }
        let others = (0..<input.count).map { s -> Int in
            var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
            let k = rng.int(below: classes - 1)
            return k >= input.targets[s] ? k + 1 : k
        }
        let original = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: model))
        let changed = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: others, samples: input.samples, model: model))
        return SanityCheck.output(SanityCheck.variants(prefix: "", original: original, changed: changed, height: input.height, width: input.width), main: .ssim)
    }
}
