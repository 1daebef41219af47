import ProbityEngine
import ProbityExplainers

/// AOPC of the most-relevant-first region perturbation (Samek et al. 2017): the score falls
/// fast when the first patches removed are the ones the model relies on. Higher is better.
/// Definition and defaults: `RegionPerturbation`.
public struct MoRF: Metric {
    public static let name = "morf"
    public static let summary = "AOPC as the most relevant 9×9 patches are replaced by noise first (Samek et al. 2017); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = RegionPerturbation.specs
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try RegionPerturbation.patch(options, width: 224) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try RegionPerturbation.evaluate(input, model: model, options: options, mostRelevantFirst: true, id: id)
    }
}
