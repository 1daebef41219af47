import XCTest
import ProbityCore
import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

final class ExplainerTests: XCTestCase {
    func testOptionsAreValidatedAndNamedStably() throws {
        let ig = try ExplainerRegistry.make("integrated_gradients")
        XCTAssertEqual(ig.id, "integrated_gradients@baseline=black,method=gausslegendre,steps=50")
        XCTAssertEqual(try ExplainerRegistry.make("integrated_gradients", options: ["steps": "20", "baseline": "x y.png"]).id,
                       "integrated_gradients@baseline=x%20y.png,method=gausslegendre,steps=20")
        XCTAssertThrowsError(try ExplainerRegistry.make("integrated_gradients", options: ["step": "20"])) { error in
            XCTAssert("\(error)".contains("unknown option step") && "\(error)".contains("steps (default 50)"), "\(error)")
        }
        XCTAssertThrowsError(try ExplainerRegistry.make("integrated_gradients", options: ["steps": "1"])) { error in
            XCTAssert("\(error)".contains("steps must be an integer in 2…10000"), "\(error)")
        }
        XCTAssertThrowsError(try ExplainerRegistry.make("nope")) { error in XCTAssert("\(error)".contains("saliency"), "\(error)") }
        XCTAssertEqual(try Options.parse(["a=1", "b=x=y"]), ["a": "1", "b": "x=y"])
    }

    func testGaussLegendreMatchesNumpy() {
        // numpy.polynomial.legendre.leggauss(3) and (5).
        let (x3, w3) = IntegratedGradients.gaussLegendre(3)
        for (a, b) in zip(x3, [-0.7745966692414834, 0, 0.7745966692414834]) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        for (a, b) in zip(w3, [0.5555555555555556, 0.8888888888888888, 0.5555555555555556]) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        let (x5, w5) = IntegratedGradients.gaussLegendre(5)
        for (a, b) in zip(x5, [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664]) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        for (a, b) in zip(w5, [0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908]) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        XCTAssertEqual(IntegratedGradients.gaussLegendre(50).1.reduce(0, +), 2, accuracy: 1e-12)
    }

    /// Saliency is |∂y/∂x| max over channels: compare with central differences on a tanh net.
    func testSaliencyEqualsFiniteDifferences() throws {
        let model = try TestModels.convNet(activation: .tanh, seed: 1)
        var rng = RNG(seed: 2)
        let x = rng.normalTensor(shape: [1, 3, 12, 12])
        let maps = try Saliency().explain(ExplainBatch(x: x, targets: [2], preprocessing: TestModels.unit), model: model).maps
        XCTAssertEqual(maps.shape, [1, 12, 12])
        var worst: Float = 0, largest: Float = 0
        for p in 0..<144 {
            var best: Float = 0
            for c in 0..<3 {
                var plus = x, minus = x
                plus.storage[c * 144 + p] += 1e-2; minus.storage[c * 144 + p] -= 1e-2
                let d = (try model.logits(plus)[0, 2] - model.logits(minus)[0, 2]) / 2e-2
                best = max(best, abs(d))
            }
            worst = max(worst, abs(best - maps.storage[p])); largest = max(largest, best)
        }
        XCTAssertLessThanOrEqual(worst, 2e-3 * largest, "saliency vs finite differences")
    }

    /// Completeness: Σ IG = y(x) − y(baseline), within 2 % at 200 steps (both quadratures).
    func testIntegratedGradientsCompleteness() throws {
        let model = try TestModels.convNet(activation: .relu, seed: 3)
        var rng = RNG(seed: 4)
        let x = rng.uniformTensor(shape: [2, 3, 12, 12], -1, 1)
        for method in ["gausslegendre", "riemann_trapezoid"] {
            for baseline in ["black", "zero", "blur"] {
                let ig = try IntegratedGradients(["steps": "200", "method": method, "baseline": baseline])
                let r = try ig.explain(ExplainBatch(x: x, targets: [0, 1], preprocessing: TestModels.unit), model: model)
                for s in 0..<2 {
                    let total = r.maps.storage[(s * 144)..<((s + 1) * 144)].reduce(0, +)
                    let gap = r.diagnostics["completeness_gap"]![s]
                    let difference = total - gap   // = y(x) − y(x′)
                    XCTAssertLessThanOrEqual(abs(gap), 0.02 * abs(difference) + 1e-4, "\(method) \(baseline) sample \(s): gap \(gap) of \(difference)")
                }
            }
        }
    }

    /// Grad-CAM on a net small enough to compute by hand: 1×1 conv (2 channels) → ReLU → GAP → Gemm.
    /// A_k = relu(w_k·x); ∂y_t/∂A_k = W[t, k]/4 everywhere, so α_k = W[t, k]/4 and
    /// cam = relu(Σ_k α_k A_k) at the input's 2×2 resolution.
    func testGradCAMByHand() throws {
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, 1, 2, 2])
        g.inputs = [x]
        let wc = g.addValue(name: "wc", shape: [2, 1, 1, 1], constant: Tensor(shape: [2, 1, 1, 1], storage: [1, -2]))
        let wf = g.addValue(name: "wf", shape: [2, 2], constant: Tensor(shape: [2, 2], storage: [3, 1, -1, 2]))
        var h = try g.addNode(name: "conv", op: Conv(), inputs: [x, wc], outputName: "conv")
        h = try g.addNode(name: "relu", op: Activation(.relu), inputs: [h], outputName: "relu")
        h = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [h], outputName: "gap")
        h = try g.addNode(name: "flatten", op: Reshape(to: [1, 2], type: "Flatten"), inputs: [h], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [h, wf], outputName: "logits")]
        let model = try TestModels.load(g, "tinycam")
        let input = Tensor(shape: [1, 1, 2, 2], storage: [1, -1, 2, -0.5])
        // A_0 = relu(x) = [1, 0, 2, 0]; A_1 = relu(−2x) = [0, 2, 0, 1].
        // target 0: α = [3/4, 1/4] → [0.75, 0.5, 1.5, 0.25]; target 1: α = [−1/4, 2/4] → relu([−0.25, 1, −0.5, 0.5]).
        for (t, want) in [(0, [Float](arrayLiteral: 0.75, 0.5, 1.5, 0.25)), (1, [0, 1, 0, 0.5])] {
            let batch = ExplainBatch(x: input, targets: [t], preprocessing: .unit(channels: 1))
            let cam = try GradCAM().explain(batch, model: model).maps
            for (a, b) in zip(cam.storage, want) { XCTAssertEqual(a, b, accuracy: 1e-6, "target \(t)") }
            XCTAssertEqual(try CAM.layer("auto", model: model), "relu")
            // Layer-CAM: relu(Σ_k relu(g_k) A_k) with g_k = W[t, k]/4.
            let layer = try LayerCAM().explain(batch, model: model).maps
            let wantLayer: [Float] = t == 0 ? [0.75, 0.5, 1.5, 0.25] : [0, 1, 0, 0.5]
            for (a, b) in zip(layer.storage, wantLayer) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
    }

    /// Occlusion on a linear model: the drop of a window is Σ_{c, p ∈ window} w_{t,c,p}·(x − baseline);
    /// with a 1-pixel window it is exactly Σ_c w_{t,c,p}·x_{c,p} (baseline zero).
    func testOcclusionOnALinearModelIsItsClosedForm() throws {
        let (model, w, _) = try TestModels.linear(channels: 3, size: 8, classes: 2, seed: 5)
        var rng = RNG(seed: 6)
        let x = rng.normalTensor(shape: [1, 3, 8, 8])
        let batch = ExplainBatch(x: x, targets: [1], preprocessing: TestModels.unit)
        let one = try Occlusion(["window": "1", "stride": "1"]).explain(batch, model: model).maps
        for p in 0..<64 {
            let want = (0..<3).reduce(Float(0)) { $0 + w[1, $1 * 64 + p] * x.storage[$1 * 64 + p] }
            XCTAssertEqual(one.storage[p], want, accuracy: 1e-4)
        }
        // 3×3 windows, stride 2: Captum's ⌈(8 − 3)/2⌉ + 1 = 4 positions 0, 2, 4, 6, the last cropped
        // to 2 pixels; pixel value = mean drop of the (cropped) windows covering it.
        let three = try Occlusion(["window": "3", "stride": "2"]).explain(batch, model: model).maps
        func drop(_ y0: Int, _ x0: Int) -> Float {
            var d: Float = 0
            for c in 0..<3 { for y in y0..<min(8, y0 + 3) { for xx in x0..<min(8, x0 + 3) { d += w[1, c * 64 + y * 8 + xx] * x.storage[c * 64 + y * 8 + xx] } } }
            return d
        }
        for y in 0..<8 { for xx in 0..<8 {
            var total: Float = 0, covering = 0
            for y0 in [0, 2, 4, 6] where y >= y0 && y < y0 + 3 {
                for x0 in [0, 2, 4, 6] where xx >= x0 && xx < x0 + 3 { total += drop(y0, x0); covering += 1 }
            }
            XCTAssertGreaterThan(covering, 0)
            let want = total / Float(covering)
            XCTAssertEqual(three.storage[y * 8 + xx], want, accuracy: 1e-4, "(\(y), \(xx))")
        } }
    }

    /// LRP with conserving rules on a bias-free ReLU net: input relevance sums to the target logit.
    func testLRPExplainerConservesRelevance() throws {
        let model = try TestModels.convNet(activation: .relu, bias: false, seed: 7)
        var rng = RNG(seed: 8)
        let x = rng.uniformTensor(shape: [2, 3, 12, 12], -1, 1)
        let batch = ExplainBatch(x: x, targets: [0, 2], preprocessing: TestModels.unit)
        let logits = try model.logits(x)
        for options in [["epsilon": "0"], ["first": "flat", "conv": "alphabeta", "epsilon": "0"], ["first": "wsquare", "conv": "zplus", "dense": "zplus"]] {
            let r = try LRPComposite(options).explain(batch, model: model)
            for s in 0..<2 {
                let total = r.maps.storage[(s * 144)..<((s + 1) * 144)].reduce(0, +)
                XCTAssertEqual(total, logits[s, batch.targets[s]], accuracy: 1e-3 * max(1, abs(logits[s, batch.targets[s]])), "\(options) sample \(s)")
                XCTAssertEqual(r.diagnostics["conservation_gap"]![s], 0, accuracy: 1e-3 * max(1, abs(logits[s, batch.targets[s]])))
            }
        }
    }

    /// Random methods: a sample's map depends on (seed, explainer id, sample index) only.
    func testRandomMethodsDoNotDependOnTheBatch() throws {
        let model = try TestModels.convNet(activation: .relu, seed: 9)
        var rng = RNG(seed: 10)
        let x = rng.uniformTensor(shape: [3, 3, 12, 12], -1, 1)
        for explainer in [try RISE(["masks": "64"]) as any Explainer, try SmoothGrad(["samples": "8"]), try RandomMap()] {
            let all = try explainer.explain(ExplainBatch(x: x, targets: [0, 1, 2], samples: [10, 11, 12], seed: 3, preprocessing: TestModels.unit), model: model).maps
            let alone = try explainer.explain(ExplainBatch(x: x.item(1), targets: [1], samples: [11], seed: 3, preprocessing: TestModels.unit), model: model).maps
            XCTAssertEqual(alone.storage, Array(all.storage[144..<288]), "\(explainer.id)")
            let other = try explainer.explain(ExplainBatch(x: x.item(1), targets: [1], samples: [11], seed: 4, preprocessing: TestModels.unit), model: model).maps
            XCTAssertNotEqual(other.storage, alone.storage, "a different seed gives a different map")
        }
    }

    /// RISE builds a chunk's masks on the model's threads: its map equals the paper's sum
    /// Σ P(target | x ⊙ M_i)·M_i / (N·p) computed here one mask at a time (masks drawn from the
    /// same stream, each scored in a batch of its own), on 1 and on 2 threads; 70 masks run as
    /// chunks of 24, 23, 23.
    func testRISEMatchesAOneMaskAtATimeSum() throws {
        let reference = try TestModels.convNet(activation: .relu, seed: 21)   // conv21true.onnx
        var rng = RNG(seed: 22)
        let x = rng.uniformTensor(shape: [1, 3, 12, 12], -1, 1)
        let batch = ExplainBatch(x: x, targets: [2], samples: [5], seed: 7, preprocessing: TestModels.unit)
        let rise = try RISE(["masks": "70", "cells": "3", "p": "0.4"])
        var want = [Double](repeating: 0, count: 144)
        var stream = batch.rng(0, rise.options.removing("border").id)
        for _ in 0..<70 {
            var grid = Tensor(shape: [1, 3, 3])
            for i in 0..<9 { grid.storage[i] = stream.uniform() < 0.4 ? 1 : 0 }
            let up = RISE.upsampled(grid, height: 16, width: 16, border: "reflect")   // (3 + 1) · ⌈12 / 3⌉
            let dy = stream.int(below: 4), dx = stream.int(below: 4)
            var mask = [Float](repeating: 0, count: 144), masked = x
            for y in 0..<12 { for c in 0..<12 { mask[y * 12 + c] = up.storage[(y + dy) * 16 + c + dx] } }
            for ch in 0..<3 { for i in 0..<144 { masked.storage[ch * 144 + i] *= mask[i] } }
            let prob = Double(MapOps.probability(try reference.logits(masked), row: 0, class: 2))
            for i in 0..<144 { want[i] += prob * Double(mask[i]) }
        }
        for threads in [1, 2] {
            let path = TestModels.directory.appendingPathComponent("conv21true.onnx").path
            let model = try ONNXModel(path: path, maxBatch: 24, threads: threads)
            let maps = try rise.explain(batch, model: model).maps
            for i in 0..<144 { XCTAssertEqual(Double(maps.storage[i]), want[i] / 70 / 0.4, accuracy: 1e-6, "threads \(threads), pixel \(i)") }
        }
    }

    /// Every registered explainer runs on a small ReLU net and gives finite [N, H, W] maps.
    func testEveryExplainerRunsAndGivesFiniteMaps() throws {
        let model = try TestModels.convNet(activation: .relu, seed: 11)
        var rng = RNG(seed: 12)
        let batch = ExplainBatch(x: rng.uniformTensor(shape: [2, 3, 12, 12], -1, 1), targets: [0, 1], preprocessing: TestModels.unit)
        let reduced: [String: [String: String]] = ["integrated_gradients": ["steps": "8"], "smoothgrad": ["samples": "4"], "smoothgrad_sq": ["samples": "4"],
                                                   "vargrad": ["samples": "4"], "rise": ["masks": "40"],
                                                   "lime": ["samples": "60"], "kernel_shap": ["samples": "60", "segmentation": "slic", "n_segments": "6"]]
        // Attention rollout and transformer attribution need a transformer (AttentionRolloutTests and
        // TransformerAttributionTests run them on ViTs and check the refusal).
        for type in ExplainerRegistry.all where ![External.name, Precomputed.name, AttentionRollout.name, TransformerAttribution.name].contains(type.name) {
            let e = try ExplainerRegistry.make(type.name, options: reduced[type.name] ?? [:])
            let maps = try e.explain(batch, model: model).maps
            XCTAssertEqual(maps.shape, [2, 12, 12], type.name)
            XCTAssert(maps.storage.allSatisfy { $0.isFinite }, type.name)
            XCTAssertGreaterThan(maps.storage.map(abs).max()!, 0, "\(type.name) is not all zero")
        }
    }
}
