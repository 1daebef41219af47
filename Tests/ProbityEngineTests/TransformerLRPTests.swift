import Foundation
import XCTest
import ProbityCore
@testable import ProbityEngine

/// LRP through attention (Ali et al. 2022's AH-rule, and Chefer et al. 2021's split) on one
/// attention head worked by hand, and through an exported GELU (x·Φ(x) decomposed into Div, Erf,
/// Add, Mul), which must pass relevance as the fused `Gelu` op does.
final class TransformerLRPTests: XCTestCase {
    /// One head over 2 tokens of 2 channels: Q = K = V = x (as MatMuls by identity weights),
    /// P = softmax(Q·Kᵀ) along the last axis, Z = P·V, the output Z flattened; the seed is the
    /// relevance z₀₀ on Z's entry (0, 0).
    func attentionPlan() throws -> (Plan, x: Int, input: Tensor) {
        var g = Graph()
        let x = g.addValue(name: "x", shape: [1, 2, 2])
        g.inputs = [x]
        let eye = Tensor(shape: [2, 2], storage: [1, 0, 0, 1])
        let wq = g.addValue(name: "wq", shape: [2, 2], constant: eye)
        let wk = g.addValue(name: "wk", shape: [2, 2], constant: eye)
        let wv = g.addValue(name: "wv", shape: [2, 2], constant: eye)
        let q = try g.addNode(name: "q", op: MatMul(), inputs: [x, wq], outputName: "q")
        let k = try g.addNode(name: "k", op: MatMul(), inputs: [x, wk], outputName: "k")
        let v = try g.addNode(name: "v", op: MatMul(), inputs: [x, wv], outputName: "v")
        let kt = try g.addNode(name: "kt", op: Rearrange(.transpose(perm: [0, 2, 1])), inputs: [k], outputName: "kt")
        let s = try g.addNode(name: "s", op: MatMul(), inputs: [q, kt], outputName: "s")
        let p = try g.addNode(name: "p", op: Softmax(axis: -1), inputs: [s], outputName: "p")
        let z = try g.addNode(name: "z", op: MatMul(), inputs: [p, v], outputName: "z")
        let y = try g.addNode(name: "y", op: Reshape(to: [1, 4]), inputs: [z], outputName: "y")
        g.outputs = [y]
        return (Plan(g, keepActivations: true), x, Tensor(shape: [1, 2, 2], storage: [1, 2, 3, -1]))
    }

    /// x = [[1, 2], [3, −1]]: Q·Kᵀ's first row is [5, 1], so p₀ = [1/(1 + e⁻⁴), 1/(1 + e⁴)] and
    /// z₀₀ = p₀₀·1 + p₀₁·3. AH-rule: P is a constant, R_v[j, 0] = p₀ⱼ·v_j0·z₀₀/z₀₀ = p₀ⱼ·x_j0, the
    /// rest 0; V = x·I passes it to x unchanged and nothing flows through Q or K:
    /// R_x = [[p₀₀, 0], [3·p₀₁, 0]], summing to z₀₀.
    func testAHRuleByHand() throws {
        let (plan, x, input) = try attentionPlan()
        let y = try plan.run([input])[0]
        let p00 = 1 / (1 + exp(-4.0)), p01 = 1 / (1 + exp(4.0))
        let z00 = p00 + 3 * p01
        XCTAssertEqual(Double(y.storage[0]), z00, accuracy: 1e-6)
        let seed = Tensor(shape: [1, 4], storage: [y.storage[0], 0, 0, 0])
        let r = try plan.backward(seed: seed, rule: .lrp(.epsilon(0)), wrt: [x]).gradients[x]!
        for (got, want) in zip(r.storage, [p00, 0, 3 * p01, 0]) { XCTAssertEqual(Double(got), want, accuracy: 1e-5) }
        XCTAssertEqual(Double(r.storage.reduce(0, +)), z00, accuracy: 1e-5, "conserved")
        // The plan detaches P (the softmax's output) in the product P·V, and only there.
        let detached = plan.nodeRules(.lrp(.epsilon(0))).enumerated().filter { !$0.element.detached.isEmpty }
        XCTAssertEqual(detached.map { plan.graph.values[plan.graph.nodes[$0.offset].output].name }, ["z"])
        XCTAssertEqual(detached.first?.element.detached, [true, false])
    }

    /// Chefer's split: V gets half of the AH-rule's relevance, R_v[j, 0] = p₀ⱼ·x_j0/2; P gets the
    /// other half, R_p[0, j] = p₀ⱼ·x_j0/2, which passes the softmax to s₀ⱼ = q₀·k_j and splits in
    /// half again: R_q[0, d] and R_k[j, d] each get q₀d·k_jd·R_p[0, j]/(2·s₀ⱼ). Q, K and V are x.
    func testSplitRuleByHand() throws {
        let (plan, x, input) = try attentionPlan()
        let y = try plan.run([input])[0]
        let xs: [[Double]] = [[1, 2], [3, -1]]
        let p = [1 / (1 + exp(-4.0)), 1 / (1 + exp(4.0))]
        var want = [[0.0, 0], [0, 0]]
        for j in 0..<2 {
            want[j][0] += p[j] * xs[j][0] / 2
            let rp = p[j] * xs[j][0] / 2
            let s = xs[0][0] * xs[j][0] + xs[0][1] * xs[j][1]
            for d in 0..<2 {
                let share = xs[0][d] * xs[j][d] * rp / (2 * s)
                want[0][d] += share
                want[j][d] += share
            }
        }
        var rule = BackwardRule.lrp(.epsilon(0))
        rule.attention = .split
        let r = try plan.backward(seed: Tensor(shape: [1, 4], storage: [y.storage[0], 0, 0, 0]), rule: rule, wrt: [x]).gradients[x]!
        for (got, w) in zip(r.storage, want.flatMap { $0 }) { XCTAssertEqual(Double(got), w, accuracy: 1e-5) }
        XCTAssertEqual(Double(r.storage.reduce(0, +)), Double(y.storage[0]), accuracy: 1e-5, "conserved")
        XCTAssert(plan.nodeRules(rule).allSatisfy { $0.detached.isEmpty }, "nothing detached under the split rule")
    }

    /// GELU as exporters write it, 0.5·(x·(1 + erf(x/√2))) (TorchScript), x·(0.5·(1 + erf(x/√2)))
    /// (dynamo) or (0.5·x)·(1 + erf(x/√2)) (as `0.5 * x * (1 + erf(…))` traces): the plan detaches
    /// the gate (computed from x), so relevance passes to x unchanged, as through the fused op
    /// (Zennit's `Pass`); the gradient is GELU's derivative in every form.
    func testDecomposedGeluPassesRelevance() throws {
        for form in ["torchscript", "dynamo", "scaled signal"] { try checkDecomposedGelu(form) }
    }

    func checkDecomposedGelu(_ form: String) throws {
        var g = Graph()
        let x = g.addValue(name: "x", shape: [1, 6])
        g.inputs = [x]
        let root2 = g.addValue(name: "root2", shape: [], constant: Tensor(shape: [], storage: [Float(2).squareRoot()]))
        let one = g.addValue(name: "one", shape: [], constant: Tensor(shape: [], storage: [1]))
        let half = g.addValue(name: "half", shape: [], constant: Tensor(shape: [], storage: [0.5]))
        let d = try g.addNode(name: "div", op: Binary(.div), inputs: [x, root2], outputName: "d")
        let e = try g.addNode(name: "erf", op: Unary(.erf), inputs: [d], outputName: "e")
        let a = try g.addNode(name: "add", op: Binary(.add), inputs: [e, one], outputName: "a")
        let y: Int
        switch form {
        case "torchscript":
            let m = try g.addNode(name: "mul", op: Binary(.mul), inputs: [x, a], outputName: "m")
            y = try g.addNode(name: "half", op: Binary(.mul), inputs: [m, half], outputName: "y")
        case "dynamo":
            let gate = try g.addNode(name: "half", op: Binary(.mul), inputs: [half, a], outputName: "gate")
            y = try g.addNode(name: "mul", op: Binary(.mul), inputs: [x, gate], outputName: "y")
        default:
            let scaled = try g.addNode(name: "half", op: Binary(.mul), inputs: [half, x], outputName: "scaled")
            y = try g.addNode(name: "mul", op: Binary(.mul), inputs: [scaled, a], outputName: "y")
        }
        g.outputs = [y]
        let plan = Plan(g, keepActivations: true)
        let input = Tensor(shape: [1, 6], storage: [-2, -0.5, 0.1, 0.7, 1.5, 3])
        let out = try plan.run([input])[0]
        for i in 0..<6 { XCTAssertEqual(out.storage[i], Unary.value(.gelu(tanh: false), input.storage[i]), accuracy: 1e-6, form) }
        let seed = Tensor(shape: [1, 6], storage: [0.3, -1, 2, 0.5, -0.25, 1])
        let r = try plan.backward(seed: seed, rule: .lrp(.epsilon(1e-6)), wrt: [x]).gradients[x]!
        XCTAssertEqual(r.storage, seed.storage, "relevance passes the decomposed GELU (\(form))")
        let grad = try plan.backward(seed: seed, wrt: [x]).gradients[x]!
        for i in 0..<6 {
            let want = seed.storage[i] * Unary.derivative(.gelu(tanh: false), x: input.storage[i], y: out.storage[i])
            XCTAssertEqual(grad.storage[i], want, accuracy: 1e-5, form)
        }
    }
}
