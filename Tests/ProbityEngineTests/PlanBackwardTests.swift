import XCTest
import ProbityCore
@testable import ProbityEngine

/// Whole-graph backward passes: gradients for the input and every weight against finite
/// differences, fused and unfused plans, hooks, and the modified rules on nets small enough
/// to compute by hand.
final class PlanBackwardTests: XCTestCase {
    /// x [2, 3, 8, 8] → Conv 3×3 + bias → Relu → MaxPool 2 → depthwise Conv 3×3 → Add (residual)
    /// → Clip(0, 6) → GlobalAveragePool → Reshape → Gemm (transB) → [2, 5].
    func smallNet(seed: UInt64 = 31) throws -> (Graph, [Int]) {
        var rng = RNG(seed: seed)
        var g = Graph()
        let x = g.addValue(name: "x", shape: [2, 3, 8, 8])
        g.inputs = [x]
        func const(_ name: String, _ shape: [Int], _ std: Float = 0.5) -> Int { g.addValue(name: name, shape: shape, constant: rng.normalTensor(shape: shape, std: std)) }
        let w1 = const("w1", [4, 3, 3, 3]), b1 = const("b1", [4]), w2 = const("w2", [4, 1, 3, 3]), w3 = const("w3", [5, 4]), b3 = const("b3", [5])
        let c1 = try g.addNode(name: "conv1", op: Conv(pads: (1, 1, 1, 1)), inputs: [x, w1, b1], outputName: "c1")
        let r1 = try g.addNode(name: "relu1", op: Activation(.relu), inputs: [c1], outputName: "r1")
        let p1 = try g.addNode(name: "pool", op: Pool(kind: .max, kernel: (2, 2), strides: (2, 2)), inputs: [r1], outputName: "p1")
        let c2 = try g.addNode(name: "dw", op: Conv(pads: (1, 1, 1, 1), group: 4), inputs: [p1, w2], outputName: "c2")
        let s = try g.addNode(name: "add", op: Binary(.add), inputs: [c2, p1], outputName: "s")
        let a = try g.addNode(name: "clip", op: Activation(.clip(min: 0, max: 6)), inputs: [s], outputName: "a")
        let gp = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [a], outputName: "gp")
        let f = try g.addNode(name: "flat", op: Reshape(to: [2, 4], type: "Flatten"), inputs: [gp], outputName: "f")
        let y = try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, w3, b3], outputName: "y")
        g.outputs = [y]
        return (g, [x, w1, b1, w2, w3, b3])
    }

    func testNetworkGradientsMatchFiniteDifferences() throws {
        let (graph, params) = try smallNet()
        let optimized = Planner.optimize(graph, forBackward: true)
        XCTAssertTrue(optimized.nodes.contains { ($0.op as? Conv)?.activation == .relu }, "ReLU fused into the conv for backward")
        XCTAssertTrue(optimized.nodes.contains { ($0.op as? Activation)?.kind == .clip(min: 0, max: 6) }, "the Clip after Add stays a node")
        let plan = Plan(optimized, keepActivations: true, context: ExecutionContext(threads: 2))
        var rng = RNG(seed: 32)
        let x = rng.normalTensor(shape: [2, 3, 8, 8])
        let seed = rng.normalTensor(shape: [2, 5])
        try plan.execute([x])
        let result = try plan.backward(seed: seed, wrt: params)

        let reference = Plan(graph, context: ExecutionContext(threads: 1))
        func loss(_ input: Tensor) throws -> Double {
            let y = try reference.run([input])[0]
            return zip(y.storage, seed.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // Input: every element.
        let h: Float = 1e-3
        var worst: Float = 0, largest: Float = 0
        for j in 0..<x.count {
            var plus = x, minus = x
            plus.storage[j] += h; minus.storage[j] -= h
            let numeric = Float((try loss(plus) - loss(minus)) / Double(plus.storage[j] - minus.storage[j]))
            worst = max(worst, abs(numeric - result.gradients[params[0]]!.storage[j]))
            largest = max(largest, abs(numeric))
        }
        XCTAssertLessThanOrEqual(worst / largest, 1e-2, "input gradient: max error \(worst) of \(largest)")
        // Weights: every element, by perturbing the constant in the reference plan.
        for v in params.dropFirst() {
            var worst: Float = 0, largest: Float = 1e-3
            let original = graph.values[v].constant!
            for j in 0..<original.count {
                var plus = original, minus = original
                plus.storage[j] += h; minus.storage[j] -= h
                reference.setConstant(v, plus)
                let lp = try loss(x)
                reference.setConstant(v, minus)
                let lm = try loss(x)
                reference.setConstant(v, original)
                let numeric = Float((lp - lm) / Double(plus.storage[j] - minus.storage[j]))
                worst = max(worst, abs(numeric - result.gradients[v]!.storage[j]))
                largest = max(largest, abs(numeric))
            }
            XCTAssertLessThanOrEqual(worst / largest, 1e-2, "gradient of \(graph.values[v].name): max error \(worst) of \(largest)")
        }
    }

    func testFusedAndUnfusedPlansAgree() throws {
        let (graph, params) = try smallNet(seed: 33)
        var rng = RNG(seed: 34)
        let x = rng.normalTensor(shape: [2, 3, 8, 8]), seed = rng.normalTensor(shape: [2, 5])
        func grads(_ g: Graph, rule: BackwardRule) throws -> [Int: Tensor] {
            let plan = Plan(g, keepActivations: true)
            try plan.execute([x])
            return try plan.backward(seed: seed, rule: rule, wrt: params).gradients
        }
        for rule in [BackwardRule.gradient, .guidedBackprop, .deconvnet, .lrp(.epsilon(0.01))] {
            let fused = try grads(Planner.optimize(graph, forBackward: true), rule: rule)
            let plain = try grads(graph, rule: rule)
            for v in params where rule == .gradient || v == params[0] {
                XCTAssertLessThanOrEqual(fused[v]!.maxAbsDifference(plain[v]!), 1e-5, "\(rule): \(graph.values[v].name)")
            }
        }
    }

    func testHookReturnsActivationAndItsGradient() throws {
        let (graph, params) = try smallNet(seed: 35)
        let a = graph.value(named: "a")!
        let optimized = Planner.optimize(graph, keep: [a], forBackward: true)
        let plan = Plan(optimized, keepActivations: true)
        var rng = RNG(seed: 36)
        let x = rng.normalTensor(shape: [2, 3, 8, 8]), seed = rng.normalTensor(shape: [2, 5])
        try plan.execute([x])
        let r = try plan.backward(seed: seed, wrt: [params[0]], hooks: [a])
        // Closed form through GAP → Flatten → Gemm: dL/da[n, c, :, :] = Σ_k seed[n, k]·W[k, c] / 16.
        let w = graph.values[params[4]].constant!
        let grad = r.hookGradients[a]!
        XCTAssertEqual(grad.shape, [2, 4, 4, 4])
        for n in 0..<2 { for c in 0..<4 {
            let want = (0..<5).reduce(Float(0)) { $0 + seed[n, $1] * w[$1, c] } / 16
            for i in 0..<16 { XCTAssertEqual(grad.storage[(n * 4 + c) * 16 + i], want, accuracy: 1e-6) }
        } }
        // The activation is the one the forward computed: Clip(0, 6) output.
        let act = r.activations[a]!
        XCTAssertTrue(act.storage.allSatisfy { $0 >= 0 && $0 <= 6 })
        XCTAssertEqual(act.storage, plan.tensor(of: a).storage)
        XCTAssertThrowsError(try plan.backward(seed: seed, wrt: [params[0]], hooks: [params[4]]), "a weight is not downstream of the input")
    }

    /// x [1, 3] → Gemm (W1 3×3, no bias) → Relu → Gemm (W2 1×3): the three rules by hand.
    /// z = W1·x = [2, −2, 2]; h = [2, 0, 2]; dL/dh = W2 = [1, 2, −3].
    /// gradient: dz = [1, 0, −3] → dx = W1ᵀ dz = [1, 3, 2];
    /// guided: dz = relu([1, 0, −3]) = [1, 0, 0] → dx = [1, 0, 2];
    /// deconvnet: dz = relu(dL/dh) = [1, 2, 0] → dx = [2, 2, 0].
    func testGuidedBackpropAndDeconvnetByHand() throws {
        var g = Graph()
        let x = g.addValue(name: "x", shape: [1, 3])
        g.inputs = [x]
        let w1 = g.addValue(name: "w1", shape: [3, 3], constant: Tensor(shape: [3, 3], storage: [1, 0, 2, 0.5, 1, -1, 0, -1, 0]))
        let w2 = g.addValue(name: "w2", shape: [1, 3], constant: Tensor(shape: [1, 3], storage: [1, 2, -3]))
        let z = try g.addNode(name: "fc1", op: Gemm(transB: true), inputs: [x, w1], outputName: "z")
        let hidden = try g.addNode(name: "relu", op: Activation(.relu), inputs: [z], outputName: "h")
        let y = try g.addNode(name: "fc2", op: Gemm(transB: true), inputs: [hidden, w2], outputName: "y")
        g.outputs = [y]
        let input = Tensor(shape: [1, 3], storage: [1, -2, 0.5])
        let expected: [(BackwardRule, [Float])] = [(.gradient, [1, 3, 2]), (.guidedBackprop, [1, 0, 2]), (.deconvnet, [2, 2, 0])]
        for graph in [g, Planner.optimize(g, forBackward: true)] {
            let plan = Plan(graph, keepActivations: true)
            XCTAssertEqual(try plan.run([input])[0].storage, [-4])
            for (rule, want) in expected {
                let r = try plan.backward(seed: Tensor(shape: [1, 1], storage: [1]), rule: rule, wrt: [x])
                XCTAssertEqual(r.gradients[x]!.storage, want, "\(rule), \(graph.nodes.count) nodes")
            }
        }
    }

    /// A bias-free ReLU net: LRP rules that conserve relevance give input relevance summing
    /// to the output relevance; LRP-0 equals gradient × input (Ancona et al. 2018).
    func testLRPConservesRelevanceOnBiasFreeReLUNet() throws {
        var rng = RNG(seed: 37)
        var g = Graph()
        let x = g.addValue(name: "x", shape: [2, 3, 8, 8])
        g.inputs = [x]
        let w1 = g.addValue(name: "w1", shape: [6, 3, 3, 3], constant: rng.normalTensor(shape: [6, 3, 3, 3], std: 0.5))
        let w2 = g.addValue(name: "w2", shape: [8, 6, 3, 3], constant: rng.normalTensor(shape: [8, 6, 3, 3], std: 0.3))
        let w3 = g.addValue(name: "w3", shape: [4, 8], constant: rng.normalTensor(shape: [4, 8]))
        let c1 = try g.addNode(name: "c1", op: Conv(pads: (1, 1, 1, 1)), inputs: [x, w1], outputName: "c1")
        let r1 = try g.addNode(name: "r1", op: Activation(.relu), inputs: [c1], outputName: "r1")
        let p1 = try g.addNode(name: "p1", op: Pool(kind: .max, kernel: (2, 2), strides: (2, 2)), inputs: [r1], outputName: "p1")
        let c2 = try g.addNode(name: "c2", op: Conv(strides: (2, 2), pads: (1, 1, 1, 1)), inputs: [p1, w2], outputName: "c2")
        let r2 = try g.addNode(name: "r2", op: Activation(.relu), inputs: [c2], outputName: "r2")
        let p2 = try g.addNode(name: "p2", op: Pool(kind: .average(countIncludePad: false), kernel: (2, 2), strides: (2, 2)), inputs: [r2], outputName: "p2")
        let gp = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [p2], outputName: "gp")
        let f = try g.addNode(name: "flat", op: Reshape(to: [2, 8], type: "Flatten"), inputs: [gp], outputName: "f")
        let y = try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, w3], outputName: "y")
        g.outputs = [y]
        let plan = Plan(Planner.optimize(g, forBackward: true), keepActivations: true)
        let input = rng.normalTensor(shape: [2, 3, 8, 8])
        let logits = try plan.run([input])[0]
        // Seed: the target logit's value (Captum's LRP), target = class 1 and class 3.
        var seed = Tensor(shape: [2, 4])
        seed[0, 1] = logits[0, 1]; seed[1, 3] = logits[1, 3]
        let size = 3 * 8 * 8
        func sums(_ t: Tensor) -> [Float] { (0..<2).map { s in t.storage[(s * size)..<((s + 1) * size)].reduce(0, +) } }
        for rule in [BackwardRule.lrp(.epsilon(1e-9)), .lrp(.zPlus), .lrp(.alphaBeta(alpha: 2, beta: 1)), .lrp(.gamma(0.25)),
                     .composite(first: .flat, convolution: .alphaBeta(alpha: 1, beta: 0), dense: .epsilon(1e-9)),
                     .composite(first: .zBox(low: [-3], high: [3]), convolution: .gamma(0.1), dense: .epsilon(1e-9)),
                     .composite(first: .wSquare, convolution: .epsilon(1e-9), dense: .epsilon(1e-9))] {
            let r = try plan.backward(seed: seed, rule: rule, wrt: [x])
            let total = sums(r.gradients[x]!)
            // z⁺/αβ/γ conserve relevance only at layers where some positive contribution exists.
            XCTAssertEqual(total[0], seed[0, 1], accuracy: 1e-3 * max(1, abs(seed[0, 1])), "\(rule), sample 0")
            XCTAssertEqual(total[1], seed[1, 3], accuracy: 1e-3 * max(1, abs(seed[1, 3])), "\(rule), sample 1")
        }
        // LRP-0 = gradient × input on a bias-free ReLU net (with max pooling routed as the gradient).
        let lrp0 = try plan.backward(seed: seed, rule: .lrp(.epsilon(0)), wrt: [x]).gradients[x]!
        var oneHot = Tensor(shape: [2, 4])
        oneHot[0, 1] = 1; oneHot[1, 3] = 1
        let grad = try plan.backward(seed: oneHot, wrt: [x]).gradients[x]!
        let gxi = zip(grad.storage, input.storage).map { $0 * $1 }
        let worst = zip(lrp0.storage, gxi).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(worst, 1e-4 * gxi.map(abs).max()!, "LRP-0 equals gradient × input")
    }

    /// Gradients that ops write whole (`Operator.writesFreshGradient`) instead of adding to a
    /// zeroed buffer: with the gradient memory poisoned with NaN, the input and weight
    /// gradients equal, bit for bit, those of the same plan zeroing every buffer first. The net
    /// has each path that writes fresh: a 3×3 convolution through im2col/col2im (the input's
    /// gradient), a pointwise one (β = 0), depthwise 3×3 stride 2 and 5×5 stride 1 (the flat
    /// forms), a dilated depthwise (the padded-buffer form), and Add and Mul of full-shaped
    /// operands, one of them a value two nodes read.
    func testGradientsWrittenWholeEqualZeroedAndAccumulated() throws {
        var rng = RNG(seed: 41)
        var g = Graph()
        let x = g.addValue(name: "x", shape: [2, 3, 9, 9])
        g.inputs = [x]
        func const(_ name: String, _ shape: [Int], _ std: Float = 0.5) -> Int { g.addValue(name: name, shape: shape, constant: rng.normalTensor(shape: shape, std: std)) }
        let w1 = const("w1", [4, 3, 3, 3]), w2 = const("w2", [6, 4, 1, 1]), w3 = const("w3", [6, 1, 3, 3]), w4 = const("w4", [6, 1, 5, 5])
        let w5 = const("w5", [6, 1, 3, 3]), w6 = const("w6", [3, 6]), b6 = const("b6", [3])
        let c1 = try g.addNode(name: "conv", op: Conv(pads: (1, 1, 1, 1)), inputs: [x, w1], outputName: "c1")
        let r1 = try g.addNode(name: "relu", op: Activation(.relu), inputs: [c1], outputName: "r1")
        let pw = try g.addNode(name: "pointwise", op: Conv(), inputs: [r1, w2], outputName: "pw")
        let d1 = try g.addNode(name: "dw_s2", op: Conv(strides: (2, 2), pads: (1, 1, 1, 1), group: 6), inputs: [pw, w3], outputName: "d1")
        let d2 = try g.addNode(name: "dw_5x5", op: Conv(pads: (2, 2, 2, 2), group: 6), inputs: [d1, w4], outputName: "d2")
        let sum = try g.addNode(name: "add", op: Binary(.add), inputs: [d2, d1], outputName: "sum")
        let d3 = try g.addNode(name: "dw_dilated", op: Conv(dilations: (2, 2), pads: (2, 2, 2, 2), group: 6), inputs: [sum, w5], outputName: "d3")
        let m = try g.addNode(name: "mul", op: Binary(.mul), inputs: [d3, sum], outputName: "m")
        let gp = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [m], outputName: "gp")
        let f = try g.addNode(name: "flat", op: Reshape(to: [2, 6], type: "Flatten"), inputs: [gp], outputName: "f")
        let y = try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, w6, b6], outputName: "y")
        g.outputs = [y]
        let params = [x, w1, w2, w3, w4, w5, w6, b6]
        let input = rng.normalTensor(shape: [2, 3, 9, 9]), seed = rng.normalTensor(shape: [2, 3])
        for graph in [g, Planner.optimize(g, forBackward: true)] {
            var results: [[Int: Tensor]] = []
            for fresh in [true, false] {
                let plan = Plan(graph, keepActivations: true, context: ExecutionContext(threads: 2))
                plan.writesFreshGradients = fresh
                plan.poisonGradients(count: 1 << 16)
                try plan.execute([input])
                results.append(try plan.backward(seed: seed, wrt: params).gradients)
                // conv's x, pointwise's r1, dw_s2's pw, add's d1 and d2, mul's d3 and sum.
                XCTAssertEqual(plan.lastFreshGradientCount, fresh ? 7 : 0, "\(graph.nodes.count) nodes")
            }
            for v in params {
                let (a, b) = (results[0][v]!, results[1][v]!)
                XCTAssertFalse(a.storage.contains { !$0.isFinite }, "\(graph.values[v].name): an element no op wrote")
                XCTAssertEqual(a.storage, b.storage, "gradient of \(graph.values[v].name), \(graph.nodes.count) nodes")
            }
        }
    }
}
