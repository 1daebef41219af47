import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Insertion (Petsiuk et al. 2018, "RISE"): starting from the substrate, the most relevant
/// pixels of the image are put back first, k at a time; a faithful map makes the target's
/// probability rise fast. Score: area under the curve (`PixelCurve`); higher is better.
///
/// Default substrate `blur`, the reference code's (eclique/RISE `evaluation.py`): `gkern(11, 5)`,
/// scipy's `gaussian_filter` of an 11 × 11 delta at σ 5 — nearly a box, edge/centre weight
/// 0.94 — applied by `conv2d` with zero padding. Until issue 14 it was a sampled Gaussian
/// (edge/centre 0.61) with reflected borders, a lighter blur that changes the AUCs; that one is
/// `substrate=blur_sampled`.
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
