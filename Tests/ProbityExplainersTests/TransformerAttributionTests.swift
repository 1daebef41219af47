import Foundation
import XCTest
import ProbityCore
@testable import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

/// Transformer attribution (Chefer, Gur & Wolf 2021): the fusion and rollout by hand, the whole map
/// of a one-head attention model against its closed form, and on `models/shapes_vit.onnx` a
/// finite, non-constant map whose gradient part equals central finite differences of the target
/// logit with respect to the attention probabilities.
final class TransformerAttributionTests: XCTestCase {
    static func repository(_ path: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path).path
    }

    /// Two heads of 2 tokens: ∇A ⊙ R = [[2, −1], [0, 4]] and [[0, 3], [−2, 2]], clamped at 0 and
    /// averaged: Ā₁ = [[1, 1.5], [0, 3]]; a second layer Ā₂ = [[0, 1], [0, 0]] (one head).
    /// (I + Ā₂)(I + Ā₁) = [[1, 1], [0, 1]]·[[2, 1.5], [0, 4]] = [[2, 5.5], [0, 4]]: class row [2, 5.5].
    func testFusionAndRolloutByHand() {
        let a1 = TransformerAttribution.fuse(gradient: [[1, 1, 0, 2], [0, 1, 1, 1]], relevance: [[2, -1, 5, 2], [7, 3, -2, 2]])
        XCTAssertEqual(a1, [1, 1.5, 0, 3])
        let a2 = TransformerAttribution.fuse(gradient: [[0, 1, 0, 0]], relevance: [[9, 1, 9, 9]])
        XCTAssertEqual(a2, [0, 1, 0, 0])
        XCTAssertEqual(TransformerAttribution.rollout([a1, a2], tokens: 2), [2, 5.5])
        XCTAssertEqual(TransformerAttribution.rollout([a2], tokens: 2), [1, 1], "one layer: I + Ā, no row renormalization")
    }

    /// A one-head attention model on 2 × 2 one-channel images: the 4 pixels are patch tokens after
    /// a class token c, Q = 0.8·τ, K = 1.5·τ, V = 2·τ, P = softmax(Q·Kᵀ), Z = P·V, logits = Z₀·[1, 2].
    static func tinyAttentionModel() throws -> GraphModel {
        try GraphModel(name: "tiny attention", inputShape: [1, 2, 2]) { n in
            var g = Graph()
            let x = g.addValue(name: "x", shape: [n, 1, 2, 2])
            g.inputs = [x]
            let flat = try g.addNode(name: "flat", op: Reshape(to: [n, 1, 4]), inputs: [x], outputName: "flat")
            let patches = try g.addNode(name: "patches", op: Rearrange(.transpose(perm: [0, 2, 1])), inputs: [flat], outputName: "patches")
            let cls = g.addValue(name: "cls", shape: [n, 1, 1], constant: Tensor(shape: [n, 1, 1], storage: [Float](repeating: 0.5, count: n)))
            let tokens = try g.addNode(name: "tokens", op: Concat(axis: 1), inputs: [cls, patches], outputName: "tokens")
            func weight(_ name: String, _ w: Float) -> Int { g.addValue(name: name, shape: [1, 1], constant: Tensor(shape: [1, 1], storage: [w])) }
            let q = try g.addNode(name: "q", op: MatMul(), inputs: [tokens, weight("wq", 0.8)], outputName: "q")
            let k = try g.addNode(name: "k", op: MatMul(), inputs: [tokens, weight("wk", 1.5)], outputName: "k")
            let v = try g.addNode(name: "v", op: MatMul(), inputs: [tokens, weight("wv", 2)], outputName: "v")
            let kt = try g.addNode(name: "kt", op: Rearrange(.transpose(perm: [0, 2, 1])), inputs: [k], outputName: "kt")
            let s = try g.addNode(name: "scores", op: MatMul(), inputs: [q, kt], outputName: "scores")
            let p = try g.addNode(name: "attention", op: Softmax(axis: -1), inputs: [s], outputName: "attention")
            let z = try g.addNode(name: "z", op: MatMul(), inputs: [p, v], outputName: "z")
            let first = try g.addNode(name: "class", op: Rearrange(.gather(axis: 1, indices: [0], indicesShape: [])), inputs: [z], outputName: "class")
            let head = g.addValue(name: "head", shape: [1, 2], constant: Tensor(shape: [1, 2], storage: [1, 2]))
            let logits = try g.addNode(name: "head", op: Gemm(), inputs: [first, head], outputName: "logits")
            g.outputs = [logits]
            return g
        }
    }

    /// Only the class token's output feeds the logits, so for class 0 (weight 1) ∇A has row 0 only,
    /// ∇A₀ⱼ = v_j, and the relevance seed 1 reaches Z₀ whole (z⁺ with a positive input and weight);
    /// the split gives A the half R₀ⱼ = p₀ⱼ·v_j/(2·z₀). The map is the class row of I + Ā over the
    /// patches: p₀ⱼ·v_j²/(2·z₀) at pixel j, with p₀ⱼ = softmax_j(0.8·1.5·c·τ_j), v_j = 2·τ_j.
    func testTinyAttentionModelMatchesClosedForm() throws {
        let model = try TransformerAttributionTests.tinyAttentionModel()
        let pixels: [[Double]] = [[0.2, 0.9, 0.4, 0.6], [1.0, 0.1, 0.7, 0.3]]
        let x = Tensor(shape: [2, 1, 2, 2], storage: pixels.flatMap { $0.map(Float.init) })
        let batch = ExplainBatch(x: x, targets: [0, 0], preprocessing: Preprocessing(scale: [1], offset: [0]))
        let maps = try TransformerAttribution().explain(batch, model: model).maps
        XCTAssertEqual(maps.shape, [2, 2, 2])
        for (s, t) in pixels.enumerated() {
            let tokens = [0.5] + t
            let e = tokens.map { exp(0.8 * 1.5 * 0.5 * $0) }
            let p = e.map { $0 / e.reduce(0, +) }
            let v = tokens.map { 2 * $0 }
            let z0 = zip(p, v).map { $0 * $1 }.reduce(0, +)
            for j in 1...4 {
                let want = p[j] * v[j] * v[j] / (2 * z0)
                XCTAssertEqual(Double(maps.storage[s * 4 + j - 1]), want, accuracy: 1e-5 * want, "sample \(s), pixel \(j - 1)")
            }
        }
        XCTAssertThrowsError(try TransformerAttribution(["start_layer": "1"]).explain(batch, model: model)) { error in
            XCTAssert("\(error)".contains("1 attention blocks"), "\(error)")
        }
    }

    /// The ViT trained on shapes: the map is finite and not constant, sample 1 alone equals sample 1
    /// in the batch, and ∇A_b of every block equals central differences of the target logit with A_b
    /// moved by ±h at single entries (a copy of the graph adds a constant to the softmax's output).
    func testShapesViTGradientPartMatchesFiniteDifferences() throws {
        let model = try ONNXModel(path: TransformerAttributionTests.repository("models/shapes_vit.onnx"))
        var rng = RNG(seed: 41)
        let x = rng.uniformTensor(shape: [2] + model.inputShape, -1, 1)
        let targets = try model.logits(x).argmaxRows()
        let batch = ExplainBatch(x: x, targets: targets, preprocessing: Preprocessing(scale: [1, 1, 1], offset: [0, 0, 0]))
        let maps = try TransformerAttribution().explain(batch, model: model).maps
        XCTAssertEqual(maps.shape, [2] + Array(model.inputShape[1...]))
        XCTAssert(maps.storage.allSatisfy(\.isFinite))
        for s in 0..<2 {
            let one = Array(maps.storage[(s * 4096)..<((s + 1) * 4096)])
            XCTAssertGreaterThan(one.max()! - one.min()!, 1e-3 * one.map(abs).max()!, "sample \(s) is not constant")
        }
        let alone = try TransformerAttribution().explain(ExplainBatch(x: x.item(1), targets: [targets[1]], preprocessing: batch.preprocessing), model: model).maps
        XCTAssertEqual(alone.maxAbsDifference(maps.item(1)), 0, accuracy: 1e-5 * maps.storage.map(abs).max()!)

        let layers = try AttentionLayers.find(model)
        XCTAssertEqual(layers.count, 4)
        let single = ExplainBatch(x: x.item(0), targets: [targets[0]], preprocessing: batch.preprocessing)
        let (gradients, relevance) = try TransformerAttribution.attentionTerms(single, layers: layers, model: model)
        // h = 1e-2: the logits' float rounding (~1e-6) over 2h stays near 5e-5, and the logit's
        // curvature in A gives errors far below that.
        let h: Float = 1e-2
        var worst: Float = 0
        for layer in layers {
            let grad = gradients[layer.name]!.storage
            XCTAssertGreaterThan(relevance[layer.name]!.storage.map(abs).max()!, 0, "relevance reaches \(layer.name)")
            // The 6 largest gradients of the class token's rows and 6 entries elsewhere.
            let t = layer.tokens
            let classRows = (0..<layer.heads).flatMap { hd in (0..<t).map { hd * t * t + $0 } }
            var entries = Array(classRows.sorted { abs(grad[$0]) > abs(grad[$1]) }.prefix(6))
            for _ in 0..<6 { entries.append(rng.int(below: grad.count)) }
            let probe = try perturbed(model, attention: layer.name, entries: entries, step: h)
            let logits = try probe.logits(Tensor.concatenate(batch: [Tensor](repeating: x.item(0), count: 2 * entries.count)))
            let scale = grad.map(abs).max()!
            for (e, entry) in entries.enumerated() {
                let fd = (logits[2 * e, targets[0]] - logits[2 * e + 1, targets[0]]) / (2 * h)
                XCTAssertEqual(fd, grad[entry], accuracy: 2e-3 * scale, "\(layer.name) entry \(entry)")
                worst = max(worst, abs(fd - grad[entry]) / scale)
            }
        }
        print("transformer_attribution ∇A against finite differences: worst |Δ| \(worst) of the largest gradient")
    }

    /// `model` with a constant added to the output `attention` in a batch of 2·entries samples:
    /// sample 2e gets +h at entries[e], sample 2e + 1 gets −h. What a sample computes depends
    /// on its place in the batch, so the batch runs whole (no lanes).
    func perturbed(_ model: ONNXModel, attention: String, entries: [Int], step h: Float) throws -> GraphModel {
        let n = 2 * entries.count
        let probe = try GraphModel(name: "perturbed", inputShape: model.inputShape, maxBatch: n) { batch in
            var g = try model.importedGraph(batch: batch)
            let a = g.value(named: attention)!
            let per = g.values[a].count / batch
            var delta = Tensor(shape: g.values[a].shape)
            if batch == n {
                for (e, entry) in entries.enumerated() { delta.storage[2 * e * per + entry] = h; delta.storage[(2 * e + 1) * per + entry] = -h }
            }
            let d = g.addValue(name: "delta", shape: g.values[a].shape, constant: delta)
            let moved = g.addValue(name: attention + "+delta", shape: g.values[a].shape)
            for i in g.nodes.indices { g.nodes[i].inputs = g.nodes[i].inputs.map { $0 == a ? moved : $0 } }
            let at = g.nodes.firstIndex { $0.output == a }!
            g.nodes.insert(Node(name: "perturb", op: Binary(.add), inputs: [a, d], output: moved), at: at + 1)
            return g
        }
        probe.maxLanes = 1
        return probe
    }

    /// A model without global attention is refused, with the reason.
    func testRefusedWithoutAttention() throws {
        let model = try ONNXModel(path: TransformerCAMTests.fixture("convnext_ts17.onnx"))
        let batch = ExplainBatch(x: Tensor(shape: [1, 3, 32, 32]), targets: [0], preprocessing: Preprocessing(scale: [1, 1, 1], offset: [0, 0, 0]))
        XCTAssertThrowsError(try TransformerAttribution().explain(batch, model: model)) { error in
            XCTAssert("\(error)".contains("no global attention found"), "\(error)")
        }
    }
}
