import Foundation
import ProbityCore
import ProbityEngine

/// Attention rollout (Abnar & Zuidema 2020, "Quantifying attention flow in transformers"): the
/// attention of every layer, fused over heads (`head_fusion`: mean, as the paper; max or min as
/// jacobgil's vit-explain offers), with the identity added for the residual connection and rows
/// renormalized, Â = (A + I)/2 row-normalized, multiplied from the first layer to the last,
/// R = Â_L ⋯ Â_1; the map is the class token's row of R over the patch tokens, laid on the patch
/// grid and upsampled bilinearly. `discard_ratio` zeroes that fraction of the smallest fused
/// attention weights of each layer first, never the class token's column (vit-explain's option;
/// 0, the paper's, by default). Not class-specific: the target is ignored.
///
/// Attention layers are found in the graph, not named: every node output shaped like one
/// sample's attention ([1, heads, T, T] or [heads, T, T], T the token count of the model's token
/// maps) whose rows are probability distributions on a probe input (non-negative, summing to 1)
/// — the outputs of the attention softmaxes. Differences from vit-explain: no max-normalization of
/// the map (scale-free metrics do not need it); rows renormalized as the paper says, where
/// vit-explain's `a / a.sum(dim=-1)` broadcasts over the last axis and divides entry (i, j) by row
/// j's sum (the same when nothing is discarded: the rows of (A + I)/2 already sum to 1); ties among
/// the discarded weights broken by index; models whose attention is windowed (Swin) have no global
/// attention and are refused.
public struct AttentionRollout: Explainer {
    public static let name = "attention_rollout"
    public static let summary = "Attention rollout: head-fused attention with the residual, multiplied through the layers (Abnar & Zuidema 2020)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("head_fusion", default: "mean", .choice(["mean", "max", "min"]), "how heads are fused"),
        OptionSpec("discard_ratio", default: "0", .double(0...0.99), "fraction of the smallest fused weights zeroed per layer (the class token's column kept)"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let layers = try AttentionLayers.find(model)
        let r = try model.backward(batch.x, rule: .gradient, hooks: layers.map(\.name)) { logits, range in
            Tensor(shape: [range.count, logits.shape[1]])
        }
        let n = batch.count
        let (prefix, side) = layers[0].grid
        let t = layers[0].tokens
        var maps = Tensor(shape: [n, side, side])
        for s in 0..<n {
            let perLayer = layers.map { layer in AttentionLayers.sample(r.activations[layer.name]!, sample: s, count: n, tokens: t) }
            let rolled = AttentionRollout.rollout(perLayer, tokens: t, fusion: options.string("head_fusion"), discard: options.double("discard_ratio"))
            for p in 0..<(side * side) { maps.storage[s * side * side + p] = Float(rolled[0 * t + prefix + p]) }
        }
        return Attribution(maps: MapOps.upsample(maps, height: batch.height, width: batch.width))
    }

    /// The rollout of per-layer attention `layers[l][head][i·T + j]`: R = Â_L ⋯ Â_1 as [T·T].
    static func rollout(_ layers: [[[Float]]], tokens t: Int, fusion: String, discard: Double) -> [Double] {
        var result = [Double](repeating: 0, count: t * t)
        for i in 0..<t { result[i * t + i] = 1 }
        for heads in layers {
            var fused = [Double](repeating: 0, count: t * t)
            for k in 0..<(t * t) {
                let values = heads.map { Double($0[k]) }
                switch fusion {
                case "max": fused[k] = values.max()!
                case "min": fused[k] = values.min()!
                default: fused[k] = values.reduce(0, +) / Double(values.count)
                }
            }
            let drop = Int(Double(t * t) * discard)
            if drop > 0 {
                // vit-explain: the `drop` smallest entries of the flattened matrix, except index 0.
                let order = (0..<(t * t)).sorted { fused[$0] != fused[$1] ? fused[$0] < fused[$1] : $0 < $1 }
                for k in order.prefix(drop) where k != 0 { fused[k] = 0 }
            }
            var a = [Double](repeating: 0, count: t * t)
            for i in 0..<t {
                var row = 0.0
                for j in 0..<t { a[i * t + j] = (fused[i * t + j] + (i == j ? 1 : 0)) / 2; row += a[i * t + j] }
                if row > 0 { for j in 0..<t { a[i * t + j] /= row } }
            }
            var next = [Double](repeating: 0, count: t * t)
            for i in 0..<t { for k in 0..<t where a[i * t + k] != 0 { for j in 0..<t { next[i * t + j] += a[i * t + k] * result[k * t + j] } } }
            result = next
        }
        return result
    }
}

/// The attention layers of a transformer, found from shapes and values (`AttentionRollout`).
public enum AttentionLayers {
    public struct Layer: Sendable { public var name: String; public var heads: Int; public var tokens: Int; public var grid: (prefix: Int, side: Int) }

    public static func find(_ model: Model) throws -> [Layer] {
        let outputs = try model.nodeOutputs()
        let tokenCounts = Set(outputs.filter { $0.shape.count == 3 && $0.shape[0] == 1 && CAM.tokenLayout($0.shape[1]) != nil }.map { $0.shape[1] })
        let candidates: [(name: String, heads: Int, tokens: Int)] = outputs.compactMap { o in
            let s = o.shape
            if s.count == 4, s[0] == 1, s[2] == s[3], tokenCounts.contains(s[2]) { return (o.name, s[1], s[2]) }
            if s.count == 3, s[1] == s[2], s[0] < s[1], tokenCounts.contains(s[1]) { return (o.name, s[0], s[1]) }
            return nil
        }
        guard !candidates.isEmpty else {
            throw ProbityError.invalidArgument("no global attention found (no [heads, T, T] output over the model's tokens); attention rollout needs a ViT-like model")
        }
        var rng = RNG(seed: 0, stream: [.name("attention-probe")])
        let x = rng.normalTensor(shape: [1] + model.inputShape)
        let r = try model.backward(x, rule: .gradient, hooks: candidates.map(\.name)) { logits, range in Tensor(shape: [range.count, logits.shape[1]]) }
        let layers = candidates.filter { c in
            guard let a = r.activations[c.name] else { return false }
            let t = c.tokens
            return a.storage.allSatisfy { $0 >= 0 } && (0..<(a.count / t)).allSatisfy { row in abs(a.storage[(row * t)..<((row + 1) * t)].reduce(0, +) - 1) < 1e-4 }
        }.map { Layer(name: $0.name, heads: $0.heads, tokens: $0.tokens, grid: CAM.tokenLayout($0.tokens)!) }
        guard !layers.isEmpty, Set(layers.map(\.tokens)).count == 1 else {
            throw ProbityError.invalidArgument("no global attention found (no softmax over the model's tokens); attention rollout needs a ViT-like model")
        }
        return layers
    }

    /// Sample `s`'s attention [heads][T·T] from a hooked activation of the whole batch
    /// ([N, heads, T, T] or [N·heads, T, T], batch-major either way).
    static func sample(_ a: Tensor, sample s: Int, count n: Int, tokens t: Int) -> [[Float]] {
        let heads = a.count / (n * t * t)
        return (0..<heads).map { h in
            let base = (s * heads + h) * t * t
            return Array(a.storage[base..<(base + t * t)])
        }
    }
}
