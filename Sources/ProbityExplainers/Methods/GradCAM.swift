import ProbityCore
import ProbityEngine

/// Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: visual explanations from deep networks via
/// gradient-based localization"): channel weights α_k = spatial mean of ∂y/∂A_k, map
/// relu(Σ_k α_k A_k) at the layer's resolution, upsampled bilinearly to the input; as
/// pytorch-grad-cam's `GradCAM` (without its min-max scaling) and Captum's `LayerGradCam`.
public struct GradCAM: Explainer {
    public static let name = "gradcam"
    public static let summary = "Gradient-weighted class activation map (Selvaraju et al. 2017; pytorch-grad-cam GradCAM)"
    public static let optionSpecs = [CAM.layerOption]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (a, g) = try CAM.capture(batch, model: model, layer: options.string("layer"))
        let (n, k, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        var weights = Tensor(shape: [n, k])
        for p in 0..<(n * k) { weights.storage[p] = g.storage[(p * h * w)..<((p + 1) * h * w)].reduce(0, +) / Float(h * w) }
        return Attribution(maps: CAM.upsampled(CAM.weightedSum(a, weights: weights), to: batch))
    }
}
