import Foundation
import XCTest
import ProbityCore
@testable import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

/// Relevance conservation through a ViT (Ali et al. 2022): `models/shapes_vit.onnx` with every
/// additive constant zeroed (biases of the patch embedding, projections, MLP, LayerNorms and head,
/// the position embedding and the class token — what absorbs relevance under LRP-ε), so the
/// relevance reaching the image must sum to the target logit. With the LN-rule and the AH-rule
/// (and GELU passing relevance) it does; plain gradient × input does not.
final class ViTConservationTests: XCTestCase {
    /// shapes_vit with the constants added to activations zeroed: those read by Add, Concat and
    /// Expand (biases written as Add, the position embedding, the class token), and the biases
    /// (third input) of Conv, Gemm and LayerNormalization. Scalars (GELU's 1) are kept.
    static func biasFreeViT() throws -> GraphModel {
        let base = try ONNXModel(path: TransformerAttributionTests.repository("models/shapes_vit.onnx"))
        return try GraphModel(name: "shapes_vit without biases", inputShape: base.inputShape) { batch in
            var g = try base.importedGraph(batch: batch)
            var additive = Set<Int>()
            for node in g.nodes {
                if let b = node.op as? Binary, b.kind == .add { additive.formUnion(node.inputs) }
                if node.op is Concat || node.op is Rearrange { additive.formUnion(node.inputs) }
                if node.op is Conv || node.op is Gemm || node.op is LayerNorm, node.inputs.count > 2 { additive.insert(node.inputs[2]) }
            }
            for v in additive where g.values[v].constant != nil && g.values[v].count > 1 {
                g.values[v].constant = Tensor(shape: g.values[v].shape)
            }
            return g
        }
    }

    /// On both exports of the ViT fixture (2 blocks) the plan detaches, under the AH-rule, the
    /// Softmax's output in each block's A·V and the gate of each exported GELU (x·Φ(x)), and
    /// nothing else; under the split rule only the GELU gates.
    func testAttentionAndGELUGatesFoundOnBothExports() throws {
        for name in ["vit_ts17", "vit_dyn18"] {
            let plan = Plan(try ONNXModel(path: TransformerCAMTests.fixture("\(name).onnx")).graph(batch: 1), keepActivations: true)
            for (attention, want) in [(BackwardRule.Attention.valuesOnly, ["MatMul": 2, "Mul": 2]), (.split, ["Mul": 2])] {
                var rule = BackwardRule.lrp(.epsilon(0.01))
                rule.attention = attention
                var found: [String: Int] = [:]
                for (i, r) in plan.nodeRules(rule).enumerated() where !r.detached.isEmpty {
                    let node = plan.graph.nodes[i]
                    found[node.op.type, default: 0] += 1
                    let held = node.inputs[r.detached.firstIndex(of: true)!]
                    let producer = plan.graph.nodes.first { $0.output == held }!
                    // GELU's gate is 1 + erf(x/√2) (TorchScript) or 0.5·(1 + erf(x/√2)) (dynamo).
                    XCTAssert((node.op is MatMul ? ["Softmax"] : ["Add", "Mul"]).contains(producer.op.type), "\(name): \(node.name) holds \(producer.name)")
                }
                XCTAssertEqual(found, want, "\(name), \(attention)")
            }
        }
    }

    func testRelevanceIsConservedThroughTheViT() throws {
        let model = try ViTConservationTests.biasFreeViT()
        var rng = RNG(seed: 43)
        let x = rng.uniformTensor(shape: [3] + model.inputShape, -1, 1)
        let logits = try model.logits(x)
        let targets = logits.argmaxRows()
        let per = x.count / 3
        func sums(_ t: Tensor) -> [Float] { (0..<3).map { s in t.storage[(s * per)..<((s + 1) * per)].reduce(0, +) } }
        let target = targets.enumerated().map { logits[$0.offset, $0.element] }
        let seed = { (l: Tensor, range: Range<Int>) -> Tensor in
            var t = Tensor(shape: l.shape)
            for (i, s) in range.enumerated() { t[i, targets[s]] = l[i, targets[s]] }
            return t
        }
        let lrp = try model.backward(x, rule: .lrp(.epsilon(1e-7)), hooks: [], seed: seed)
        for (got, want) in zip(sums(lrp.input), target) {
            XCTAssertEqual(got, want, accuracy: 2e-4 * abs(want), "LRP-ε with the LN- and AH-rules conserves the target logit")
        }
        // The `lrp` explainer with ε everywhere reports the same (its conservation gap).
        let batch = ExplainBatch(x: x, targets: targets, preprocessing: Preprocessing(scale: [1, 1, 1], offset: [0, 0, 0]))
        let gaps = try LRPComposite(["first": "epsilon", "conv": "epsilon", "dense": "epsilon", "epsilon": "1e-7"]).explain(batch, model: model).diagnostics["conservation_gap"]!
        for (gap, want) in zip(gaps, target) { XCTAssertLessThanOrEqual(abs(gap), 2e-4 * abs(want)) }
        // Gradient × input is not conserved: softmax, LayerNorm and GELU are not linear.
        let gradient = try model.gradient(of: targets, wrt: x).grad
        let gxi = sums(Tensor(shape: x.shape, storage: zip(gradient.storage, x.storage).map { $0 * $1 }))
        for (got, want) in zip(gxi, target) {
            XCTAssertGreaterThan(abs(got - want), 0.05 * abs(want), "gradient × input \(got) against the logit \(want)")
        }
        print("ViT conservation: logits \(target), LRP \(sums(lrp.input)), gradient × input \(gxi)")
    }
}
