import ProbityCore
import ProbityEngine

/// SmoothGrad (Smilkov et al. 2017, "SmoothGrad: removing noise by adding noise"): the mean
/// gradient over noisy copies; |·| max over channels as saliency. Defaults: 50 samples,
/// σ = 15 % of the image's range (the paper). Captum: `NoiseTunnel(Saliency)`, nt_type "smoothgrad".
public struct SmoothGrad: Explainer {
    public static let name = "smoothgrad"
    public var seeded: Bool { true }
    public static let summary = "Mean gradient over noisy copies (Smilkov et al. 2017; Captum NoiseTunnel smoothgrad)"
    public static let optionSpecs = NoiseTunnel.specs
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        try NoiseTunnel.explain(batch, model: model, options: options, id: id) { $0.reduce(0, +) / Float($0.count) }
    }
}
