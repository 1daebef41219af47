import Foundation
import ProbityCore
import ProbityEngine

/// What the class-activation-map methods share: the layer (a node output name, or `auto`: the
/// last node whose output still has a spatial map larger than 1×1 — the final activation
/// before global pooling — or, on a vision transformer, the last token map the target's gradient
/// reaches on more than one patch), its activation A [N, K, h, w] and the gradient of the target
/// logit flowing into it, and the upsampling of [N, h, w] maps to the input size (bilinear, as
/// pytorch-grad-cam's resize).
///
/// Token maps. A layer whose output is [N, T, C] (a transformer's tokens, batch first) is laid out
/// as an image first, as pytorch-grad-cam's `reshape_transform` does for ViTs: the leading
/// T − ⌊√T⌋² tokens (the class token, and a distillation token where there is one) are dropped and
/// the rest become a ⌊√T⌋ × ⌊√T⌋ grid of C channels. Swin's last stage is already a grid. Unlike
/// pytorch-grad-cam this needs no option: the layout follows from the shape. Why `auto` probes the
/// gradient on a transformer: after the last attention, only the class token reaches the head, so
/// the last block's output (and the final LayerNorm's) get no gradient on any patch token and give
/// an empty map; pytorch-grad-cam's documentation picks the last block's first LayerNorm for the
/// same reason, and the probe finds that node (or its equivalent) from the graph alone.
enum CAM {
    static let layerOption = OptionSpec("layer", default: "auto", .layer, "node output name to explain (auto: the last spatial activation, or a transformer's last token map the gradient reaches)")

    static func layer(_ name: String, model: Model) throws -> String {
        if name != "auto" { return name }
        let outputs = try model.nodeOutputs()
        let lastSpatial = outputs.lastIndex { $0.shape.count == 4 && $0.shape[2] * $0.shape[3] > 1 }
        // Attention's tensors ([1, heads, T, T], [1, heads, T, d], [T, 1, 3, C]) are 4-D too: a
        // feature map is a 4-D output with the batch first none of whose spatial extents is the
        // token count of a token map.
        let tokenCounts = Set(outputs.filter { $0.shape.count == 3 && $0.shape[0] == 1 && tokenLayout($0.shape[1]) != nil }.map { $0.shape[1] })
        let lastFeatureMap = outputs.lastIndex { o in
            o.shape.count == 4 && o.shape[0] == 1 && o.shape[2] * o.shape[3] > 1 && !tokenCounts.contains(o.shape[2]) && !tokenCounts.contains(o.shape[3])
        }
        let tokens = outputs.indices.filter { i in
            (lastFeatureMap.map { i > $0 } ?? true) && outputs[i].shape.count == 3 && outputs[i].shape[0] == 1 && tokenLayout(outputs[i].shape[1]) != nil
        }
        if !tokens.isEmpty { return try probedTokenLayer(outputs: tokens.map { outputs[$0].name }, model: model) }
        guard let last = lastSpatial else {
            throw ProbityError.invalidArgument("the model has no node with a spatial output; give layer=NAME")
        }
        return outputs[last].name
    }

    /// (tokens dropped, grid side) for T tokens: the side ⌊√T⌋ ≥ 2 with at most 2 leading tokens left over.
    static func tokenLayout(_ t: Int) -> (prefix: Int, side: Int)? {
        let side = Int(Double(t).squareRoot())
        let prefix = t - side * side
        return side >= 2 && prefix <= 2 ? (prefix, side) : nil
    }

    /// Token maps [N, T, C] as images [N, C, g, g] (`tokenLayout`).
    static func tokenGrid(_ t: Tensor) throws -> Tensor {
        let (n, count, c) = (t.shape[0], t.shape[1], t.shape[2])
        guard let (prefix, side) = tokenLayout(count) else {
            throw ProbityError.invalidArgument("a token map of \(count) tokens does not lay out as a square grid (after at most 2 leading tokens)")
        }
        var out = Tensor(shape: [n, c, side, side])
        for s in 0..<n { for p in 0..<(side * side) { for ch in 0..<c {
            out.storage[((s * c + ch) * side * side) + p] = t.storage[(s * count + prefix + p) * c + ch]
        } } }
        return out
    }

    /// The layer `auto` names on a transformer, probed once per graph: one backward pass on a
    /// seeded random input for its top class, hooking every token map after the last spatial map;
    /// the last whose gradient is non-zero on two or more patch tokens.
    static func probedTokenLayer(outputs names: [String], model: Model) throws -> String {
        let key = names.joined(separator: "\u{1}") + "\u{2}\(model.inputShape)"
        if let known = ProbedLayers.shared.get(key) { return known }
        var rng = RNG(seed: 0, stream: [.name("cam-layer-probe")])
        let x = rng.normalTensor(shape: [1] + model.inputShape)
        let r = try model.backward(x, rule: .gradient, hooks: names) { logits, range in
            let row = Array(logits.storage[0..<logits.shape[1]])
            return oneHotSeeds([row.indices.max { row[$0] < row[$1] } ?? 0], range: range, classes: logits.shape[1])
        }
        for name in names.reversed() {
            guard let g = r.hookGradients[name], let (prefix, side) = tokenLayout(g.shape[1]) else { continue }
            let c = g.shape[2]
            let reached = (prefix..<(prefix + side * side)).filter { p in (0..<c).contains { g.storage[p * c + $0] != 0 } }.count
            if reached >= 2 { ProbedLayers.shared.set(key, name); return name }
        }
        throw ProbityError.invalidArgument("no token map of this transformer gets a gradient on its patches; give layer=NAME")
    }

    static func capture(_ batch: ExplainBatch, model: Model, layer: String, rule: BackwardRule = .gradient) throws -> (activation: Tensor, gradient: Tensor) {
        let name = try CAM.layer(layer, model: model)
        let r = try model.backward(batch.x, rule: rule, hooks: [name]) { logits, range in
            oneHotSeeds(batch.targets, range: range, classes: logits.shape[1])
        }
        return (try image(r.activations[name]!, layer: name), try image(r.hookGradients[name]!, layer: name))
    }

    /// The layer's activation alone (one forward pass, for Score-CAM).
    static func activation(_ batch: ExplainBatch, model: Model, layer: String) throws -> Tensor {
        let name = try CAM.layer(layer, model: model)
        return try image(model.forward(batch.x, hooks: [name]).activations[name]!, layer: name)
    }

    /// A layer's tensor as images [N, K, h, w]: a token map laid out by `tokenGrid`, else as it is.
    static func image(_ t: Tensor, layer name: String) throws -> Tensor {
        let t = t.rank == 3 ? try tokenGrid(t) : t
        guard t.rank == 4 else { throw ProbityError.invalidArgument("layer \(name) has shape \(t.shape); CAMs need [N, K, h, w] or tokens [N, T, C]") }
        return t
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

/// Layers `auto` found by probing, by graph (its token maps' names and input shape): which token
/// maps the gradient reaches follows from the graph's structure, not from its weights.
final class ProbedLayers: @unchecked Sendable {
    static let shared = ProbedLayers()
    private let lock = NSLock()
    private var names: [String: String] = [:]
    func get(_ key: String) -> String? { lock.lock(); defer { lock.unlock() }; return names[key] }
    func set(_ key: String, _ name: String) { lock.lock(); names[key] = name; lock.unlock() }
}
