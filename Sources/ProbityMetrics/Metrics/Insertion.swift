import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Insertion (Petsiuk et al. 2018, "RISE"): starting from the substrate (default `blur`:
/// Gaussian, kernel 11, σ 5, the paper's start), the most relevant pixels of the image are
/// put back first, k at a time; a faithful map makes the target's probability rise fast.
/// Score: area under the curve (`PixelCurve`); higher is better.
public struct Insertion: Metric {
    public static let name = "insertion"
    public static let summary = "AUC of the target score as the most relevant pixels are inserted into a blurred image (Petsiuk et al. 2018); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = PixelCurve.specs(substrate: "blur")
    public let options: Options
    public init(options: Options) throws { self.options = options; _ = try PixelCurve.step(options, width: 1) }   // bad values fail before any work
    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try PixelCurve.evaluate(input, model: model, options: options, insertion: true, id: id)
    }
}
