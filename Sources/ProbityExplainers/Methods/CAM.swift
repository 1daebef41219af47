import ProbityCore
import ProbityEngine

/// What the class-activation-map methods share: the layer (a node output name, or `auto`: the
/// last node whose output still has a spatial map larger than 1×1 — the final activation
/// before global pooling), its activation A [N, K, h, w] and the gradient of the target logit
/// flowing into it, and the upsampling of [N, h, w] maps to the input size (bilinear, as
/// pytorch-grad-cam's resize).
enum CAM {
    static let layerOption = OptionSpec("layer", default: "auto", .layer, "node output name to explain (auto: the last spatial activation)")

    static func layer(_ name: String, model: Model) throws -> String {
        if name != "auto" { return name }
        guard let last = try model.nodeOutputs().last(where: { $0.shape.count == 4 && $0.shape[2] * $0.shape[3] > 1 }) else {
            throw ProbityError.invalidArgument("the model has no node with a spatial output; give layer=NAME")
        }
        return last.name
    }

    static func capture(_ batch: ExplainBatch, model: Model, layer: String, rule: BackwardRule = .gradient) throws -> (activation: Tensor, gradient: Tensor) {
        let name = try CAM.layer(layer, model: model)
        let r = try model.backward(batch.x, rule: rule, hooks: [name]) { logits, range in
            oneHotSeeds(batch.targets, range: range, classes: logits.shape[1])
        }
        let a = r.activations[name]!, g = r.hookGradients[name]!
        guard a.rank == 4 else { throw ProbityError.invalidArgument("layer \(name) has shape \(a.shape); CAMs need [N, K, h, w]") }
        return (a, g)
    }

    /// relu(Σ_k w[n, k] · A[n, k]) → [N, h, w].
    static func weightedSum(_ a: Tensor, weights: Tensor, relu: Bool = true) -> Tensor {
        let (n, k, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        var out = Tensor(shape: [n, h, w])
        for s in 0..<n {
            for ch in 0..<k {
                let wt = weights.storage[s * k + ch]
                if wt == 0 { continue }
                let base = (s * k + ch) * h * w
                for i in 0..<(h * w) { out.storage[s * h * w + i] += wt * a.storage[base + i] }
            }
        }
        if relu { for i in 0..<out.count { out.storage[i] = max(0, out.storage[i]) } }
        return out
    }

    static func upsampled(_ maps: Tensor, to batch: ExplainBatch) -> Tensor {
        MapOps.upsample(maps, height: batch.height, width: batch.width)
    }
}

/// The layer a CAM explains, `auto` resolved as the CAMs resolve it (for reports that name it).
public enum CAMLayer {
    public static func resolve(_ name: String, model: Model) throws -> String { try CAM.layer(name, model: model) }
}
