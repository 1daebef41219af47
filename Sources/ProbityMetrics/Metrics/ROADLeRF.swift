import ProbityEngine
import ProbityExplainers

/// ROAD with the least relevant pixels removed first (Rong et al. 2022): a faithful map keeps
/// the score up. Higher is better. Definition and defaults: `ROAD`.
public struct ROADLeRF: Metric {
    public static let name = "road_lerf"
    public static let summary = "Mean target probability as the least relevant 10–90 % of pixels are imputed (ROAD, Rong et al. 2022); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = ROAD.specs
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try ROAD.percentages(options) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try ROAD.evaluate(input, model: model, options: options, mostRelevantFirst: false, id: id)
    }
}
