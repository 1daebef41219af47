import ProbityCore
import ProbityEngine

/// Transformer attribution (Chefer, Gur & Wolf 2021, "Transformer Interpretability Beyond Attention
/// Visualization", CVPR): gradient-weighted attention relevance, rolled out through the blocks.
/// For each attention block b, Ā_b = E_h[(∇A_b ⊙ R_b)⁺], where A_b are the attention
/// probabilities (the attention softmax's output, heads h), ∇A_b the gradient of the target logit
/// with respect to them and R_b their LRP relevance; R = (I + Ā_L)⋯(I + Ā_s), s = `start_layer`;
/// the map is the class token's row of R over the patch tokens, on the patch grid, upsampled
/// bilinearly. Class-specific; unsigned (the products are clamped at 0 before the head mean).
///
/// Reference: their repository, `baselines/ViT/ViT_LRP.py` (`VisionTransformer.relprop` with
/// `method="transformer_attribution"`, `compute_rollout_attention`) over `modules/layers_ours.py`,
/// driven by `ViT_explanation_generator.LRP.generate_LRP`. What Probity does the same: the
/// relevance seed is the one-hot target (1, not the logit); dense layers (MatMul with weights,
/// Gemm) use LRP-z⁺ = their `Linear.relprop` at α = 1, β = 0 (x⁺w⁺ + x⁻w⁻, bias left out of the
/// denominator); relevance passes GELU, Softmax and dropout unchanged; a fan-out sums its
/// branches' relevance (their `Clone`); the class token is picked by a gather that keeps its
/// relevance (their `IndexSelect`); a product of two variables (Q·Kᵀ, A·V) gives each factor half
/// of its ε-rule relevance with the other held constant (their `einsum.relprop`, then `cam /= 2`),
/// and R_b is the attention's half (their `save_attn_cam` after the halving)
/// (`BackwardRule.Attention.split`); the rollout adds the identity and does not renormalize rows
/// (the normalization is commented out in `ViT_LRP.compute_rollout_attention`); start layer 0 (as
/// `generate_LRP` and their notebooks; their perturbation script passes 1).
///
/// Where Probity differs from their code, and why:
/// - LayerNorm: the LN-rule of Ali et al. 2022 (relevance through the normalization with the
///   normalizer held constant, `LayerNorm`); their `LayerNorm.relprop` passes relevance unchanged.
/// - Residual sums: split in proportion to the two operands (z-rule, ε = 1e-6); their `Add.relprop`
///   then rescales each branch so its total is |Σ a|/(|Σ a| + |Σ b|) of the output's total.
/// - Biases that exporters write as a separate `Add` after a `MatMul` (torchvision's in-projection
///   and MLP) take their proportional share of relevance, where their `Linear.relprop` (z⁺) leaves
///   the bias out; a Gemm's bias is left out as theirs.
/// - Stabilizer: ε = 1e-6 with sign(0) = +1 (their `safe_divide`: 1e-9, and 0 where the
///   denominator is 0).
/// - The first layer's rule (their z^B bounded by each image's min and max) does not matter: the
///   map reads relevance at the attention, above the patch embedding.
/// - Every sample of a batch is explained (their relprop reads `cam[0]`, batch 1); no min-max
///   scaling of the map (their visualization's; scale-free metrics do not need it).
/// Attention layers are found from the graph as `attention_rollout` finds them (`AttentionLayers`);
/// a model without global attention is refused.
public struct TransformerAttribution: Explainer {
    public static let name = "transformer_attribution"
    public static let summary = "Transformer attribution: gradient-weighted LRP relevance of attention, rolled out (Chefer, Gur & Wolf 2021)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("start_layer", default: "0", .int(0...1000), "first attention block of the rollout (their generate_LRP's start_layer)"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    /// The LRP rule of the relevance R_b: z⁺ for dense layers, attention products split in half.
    public static var relevanceRule: BackwardRule {
        var rule = BackwardRule.lrp(.zPlus)
        rule.attention = .split
        return rule
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let layers = try AttentionLayers.find(model)
        let start = options.int("start_layer")
        guard start < layers.count else {
            throw ProbityError.invalidArgument("start_layer \(start): the model has \(layers.count) attention blocks")
        }
        let (gradients, relevance) = try TransformerAttribution.attentionTerms(batch, layers: layers, model: model)
        let n = batch.count, t = layers[0].tokens
        let (prefix, side) = layers[0].grid
        var maps = Tensor(shape: [n, side, side])
        for s in 0..<n {
            let fused = layers[start...].map { layer in
                TransformerAttribution.fuse(gradient: AttentionLayers.sample(gradients[layer.name]!, sample: s, count: n, tokens: t),
                                            relevance: AttentionLayers.sample(relevance[layer.name]!, sample: s, count: n, tokens: t))
            }
            let rolled = TransformerAttribution.rollout(fused, tokens: t)
            for p in 0..<(side * side) { maps.storage[s * side * side + p] = Float(rolled[prefix + p]) }
        }
        return Attribution(maps: MapOps.upsample(maps, height: batch.height, width: batch.width))
    }

    /// ∇A_b and R_b of every attention layer, by layer name ([N, …] as hooked): one gradient
    /// pass and one LRP pass (`relevanceRule`), both seeded with the one-hot target.
    public static func attentionTerms(_ batch: ExplainBatch, layers: [AttentionLayers.Layer], model: Model) throws
        -> (gradients: [String: Tensor], relevance: [String: Tensor]) {
        let hooks = layers.map(\.name)
        let seed = { (logits: Tensor, range: Range<Int>) in oneHotSeeds(batch.targets, range: range, classes: logits.shape[1]) }
        let g = try model.backward(batch.x, rule: .gradient, hooks: hooks, seed: seed)
        let r = try model.backward(batch.x, rule: relevanceRule, hooks: hooks, seed: seed)
        return (g.hookGradients, r.hookGradients)
    }

    /// Ā = E_h[(∇A ⊙ R)⁺] of one sample's layer, [T·T], from per-head [heads][T·T].
    static func fuse(gradient: [[Float]], relevance: [[Float]]) -> [Double] {
        var fused = [Double](repeating: 0, count: gradient[0].count)
        for (g, r) in zip(gradient, relevance) {
            for k in fused.indices { fused[k] += Swift.max(0, Double(g[k]) * Double(r[k])) }
        }
        return fused.map { $0 / Double(gradient.count) }
    }

    /// The class token's row of (I + Ā_L)⋯(I + Ā_1), [T], from per-layer [T·T] (first layer first).
    static func rollout(_ layers: [[Double]], tokens t: Int) -> [Double] {
        var result = [Double](repeating: 0, count: t * t)
        for i in 0..<t { result[i * t + i] = 1 }
        for a in layers {
            var next = result
            for i in 0..<t { for k in 0..<t where a[i * t + k] != 0 { for j in 0..<t { next[i * t + j] += a[i * t + k] * result[k * t + j] } } }
            result = next
        }
        return Array(result[0..<t])
    }
}
