import ProbityCore
import ProbityEngine

/// SmoothGrad² (Hooker et al. 2019, "A benchmark for interpretability methods in deep neural
/// networks"): the mean of squared gradients over noisy copies; max over channels. Captum:
/// `NoiseTunnel`, nt_type "smoothgrad_sq". Defaults as SmoothGrad.
public struct SmoothGradSquared: Explainer {
    public static let name = "smoothgrad_sq"
    public var seeded: Bool { true }
    public static let summary = "Mean squared gradient over noisy copies (Hooker et al. 2019; Captum NoiseTunnel smoothgrad_sq)"
    public static let optionSpecs = NoiseTunnel.specs
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        try NoiseTunnel.explain(batch, model: model, options: options, id: id) { v in v.reduce(0) { $0 + $1 * $1 } / Float(v.count) }
    }
}
