import ProbityCore
import ProbityEngine

/// Layer-CAM (Jiang et al. 2021, "LayerCAM: exploring hierarchical class activation maps"):
/// relu(Σ_k relu(∂y/∂A_k) ⊙ A_k), each location weighted by its own positive gradient; as
/// pytorch-grad-cam's `LayerCAM`.
public struct LayerCAM: Explainer {
    public static let name = "layercam"
    public static let summary = "Element-wise positive-gradient weighted activations (Jiang et al. 2021; pytorch-grad-cam LayerCAM)"
    public static let optionSpecs = [CAM.layerOption]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (a, g) = try CAM.capture(batch, model: model, layer: options.string("layer"))
        let (n, k, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        var maps = Tensor(shape: [n, h, w])
        for s in 0..<n { for ch in 0..<k { for i in 0..<(h * w) {
            let j = (s * k + ch) * h * w + i
            maps.storage[s * h * w + i] += max(g.storage[j], 0) * a.storage[j]
        } } }
        for i in 0..<maps.count { maps.storage[i] = max(0, maps.storage[i]) }
        return Attribution(maps: CAM.upsampled(maps, to: batch))
    }
}
