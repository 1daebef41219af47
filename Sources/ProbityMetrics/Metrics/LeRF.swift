import ProbityEngine
import ProbityExplainers

/// AOPC of the least-relevant-first region perturbation (Samek et al. 2017): removing the
/// patches a faithful map calls irrelevant barely moves the score. Lower is better.
/// Definition and defaults: `RegionPerturbation`.
public struct LeRF: Metric {
    public static let name = "lerf"
    public static let summary = "AOPC as the least relevant 9×9 patches are replaced by noise first (Samek et al. 2017); lower is better"
    public static let higherIsBetter = false
    public static let optionSpecs = RegionPerturbation.specs
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try RegionPerturbation.patch(options, width: 224) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try RegionPerturbation.evaluate(input, model: model, options: options, mostRelevantFirst: false, id: id)
    }
}
