import ProbityEngine
import ProbityExplainers

/// ROAD with the most relevant pixels removed first (Rong et al. 2022): a faithful map makes
/// the score fall. Lower is better. Definition and defaults: `ROAD`.
public struct ROADMoRF: Metric {
    public static let name = "road_morf"
    public static let summary = "Mean target probability as the most relevant 10–90 % of pixels are imputed (ROAD, Rong et al. 2022); lower is better"
    public static let higherIsBetter = false
    public static let optionSpecs = ROAD.specs
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try ROAD.percentages(options) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try ROAD.evaluate(input, model: model, options: options, mostRelevantFirst: true, id: id)
    }
}
