import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Deletion (Petsiuk et al. 2018, "RISE"): the most relevant pixels are removed first, k at a
/// time, replaced by the substrate (default `zero`, 0 in the model's input space, as the
/// reference code); a faithful map makes the target's probability fall fast. Score: area under
/// the curve (`PixelCurve`); lower is better. Defaults: k = image width, probability of the
/// class explained.
public struct Deletion: Metric {
    public static let name = "deletion"
    public static let summary = "AUC of the target score as the most relevant pixels are removed (Petsiuk et al. 2018); lower is better"
    public static let higherIsBetter = false
    public static let optionSpecs = PixelCurve.specs(substrate: "zero")
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try PixelCurve.step(options, width: 1) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try PixelCurve.evaluate(input, model: model, options: options, insertion: false, id: id)
    }
}
