import ProbityCore
import ProbityEngine

/// Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation (summed over channels)
/// multiplied by the upsampled Grad-CAM map; as Captum's `GuidedGradCam`.
public struct GuidedGradCAM: Explainer {
    public static let name = "guided_gradcam"
    public static let signed = true
    public static let summary = "Guided backprop × Grad-CAM (Selvaraju et al. 2017; Captum GuidedGradCam)"
    public static let optionSpecs = [CAM.layerOption]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let cam = try GradCAM(options: Options(explainer: GradCAM.name, specs: GradCAM.optionSpecs, given: ["layer": options.string("layer")]))
            .explain(batch, model: model).maps
        var guided = try GuidedBackprop().explain(batch, model: model).maps
        for i in 0..<guided.count { guided.storage[i] *= cam.storage[i] }
        return Attribution(maps: guided)
    }
}
