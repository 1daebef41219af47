import ProbityCore
import ProbityEngine

/// VarGrad (Adebayo et al. 2018, "Local explanation methods for deep neural networks lack
/// sensitivity to parameter values"): the variance of the gradient over noisy copies (the
/// population variance, as Captum's `NoiseTunnel` "vargrad": E[g²] − E[g]²); max over channels.
/// Defaults as SmoothGrad.
public struct VarGrad: Explainer {
    public static let name = "vargrad"
    public var seeded: Bool { true }
    public static let summary = "Variance of the gradient over noisy copies (Adebayo et al. 2018; Captum NoiseTunnel vargrad)"
    public static let optionSpecs = NoiseTunnel.specs
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        try NoiseTunnel.explain(batch, model: model, options: options, id: id) { v in
            let n = Float(v.count)
            let mean = v.reduce(0, +) / n
            return v.reduce(0) { $0 + $1 * $1 } / n - mean * mean
        }
    }
}
