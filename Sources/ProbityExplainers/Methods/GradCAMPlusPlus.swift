import ProbityCore
import ProbityEngine

/// Grad-CAM++ (Chattopadhyay et al. 2018, "Grad-CAM++: improved visual explanations"):
/// α = g² / (2g² + Σ_ij A · g³), weights w_k = Σ_ij α·relu(g), map relu(Σ_k w_k A_k),
/// as pytorch-grad-cam's `GradCAMPlusPlus` (the exponential-output form with ε = 1e-7).
public struct GradCAMPlusPlus: Explainer {
    public static let name = "gradcam_pp"
    public static let summary = "Grad-CAM with higher-order pixel weights (Chattopadhyay et al. 2018; pytorch-grad-cam GradCAMPlusPlus)"
    public static let optionSpecs = [CAM.layerOption]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (a, g) = try CAM.capture(batch, model: model, layer: options.string("layer"))
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
                let alpha = g2 / (2 * g2 + sumA * g3 + 1e-7)
                total += alpha * max(gv, 0)
            }
            weights.storage[p] = total
        }
        return Attribution(maps: CAM.upsampled(CAM.weightedSum(a, weights: weights), to: batch))
    }
}
