import ProbityCore
import ProbityEngine

/// Grad-CAM++ (Chattopadhyay et al. 2018, "Grad-CAM++: improved visual explanations"):
/// α = g² / (2g² + Σ_ij A · g³), weights w_k = Σ_ij α·relu(g), map relu(Σ_k w_k A_k),
/// as pytorch-grad-cam's `GradCAMPlusPlus` (`grad_cam_plusplus.py`, the exponential-output
/// form): ε = 1e-6 in the denominator, α = 0 where g = 0. Before issue 14 ε was 1e-7, which
/// changes α wherever g² is near ε (weak gradients); `eps` sets it.
public struct GradCAMPlusPlus: Explainer {
    public static let name = "gradcam_pp"
    public static let summary = "Grad-CAM with higher-order pixel weights (Chattopadhyay et al. 2018; pytorch-grad-cam GradCAMPlusPlus)"
    public static let optionSpecs = [CAM.layerOption, OptionSpec("eps", default: "1e-6", .double(0...1), "ε in α's denominator (pytorch-grad-cam: 1e-6)")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (a, g) = try CAM.capture(batch, model: model, layer: options.string("layer"))
        let weights = GradCAMPlusPlus.weights(a, g, eps: Float(options.double("eps")))
        return Attribution(maps: CAM.upsampled(CAM.weightedSum(a, weights: weights), to: batch))
    }

    /// w_k = Σ_ij α·relu(g) per sample and channel, [N, K], from activations and gradients [N, K, h, w].
    static func weights(_ a: Tensor, _ g: Tensor, eps: Float) -> Tensor {
        let (n, k, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        var weights = Tensor(shape: [n, k])
        for p in 0..<(n * k) {
            let range = (p * h * w)..<((p + 1) * h * w)
            let sumA = a.storage[range].reduce(0, +)
            var total: Float = 0
            for i in range {
                let gv = g.storage[i]
                if gv == 0 { continue }
                let g2 = gv * gv, g3 = g2 * gv
                let alpha = g2 / (2 * g2 + sumA * g3 + eps)
                total += alpha * max(gv, 0)
            }
            weights.storage[p] = total
        }
        return weights
    }
}
