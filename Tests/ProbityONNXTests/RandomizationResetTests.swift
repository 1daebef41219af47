import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// Issue 19: what the README's "Randomization" row promises for biases and BatchNorm, on a
/// net small enough to run by hand: x [1, 1, 2, 2] → Conv 1×1 (2 channels, bias) →
/// BatchNormalization (non-trivial statistics) → Relu → Flatten → Gemm (bias).
/// Re-initializing the conv layer must re-draw its bias from U(±1/√fan_in) and set its
/// BatchNorm to identity statistics (scale 1, bias 0, mean 0, variance 1), and the randomized
/// model must run with exactly those values (the planner folds BatchNorm into the conv, so a
/// reset that did not reach the folded weights would show here).
final class RandomizationResetTests: XCTestCase {
    static let original: [String: Tensor] = [
        "wc": Tensor(shape: [2, 1, 1, 1], storage: [0.5, -0.7]), "bc": Tensor(shape: [2], storage: [3, -4]),
        "scale": Tensor(shape: [2], storage: [2, 0.5]), "shift": Tensor(shape: [2], storage: [1, -1]),
        "mean": Tensor(shape: [2], storage: [0.3, -0.2]), "variance": Tensor(shape: [2], storage: [4, 0.25]),
        "wf": Tensor(shape: [2, 8], storage: (0..<16).map { Float($0 % 5) - 2 }), "bf": Tensor(shape: [2], storage: [5, -6]),
    ]

    func model() throws -> ONNXModel {
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, 1, 2, 2])
        g.inputs = [x]
        func const(_ name: String) -> Int { g.addValue(name: name, shape: Self.original[name]!.shape, constant: Self.original[name]!) }
        var h = try g.addNode(name: "conv", op: Conv(), inputs: [x, const("wc"), const("bc")], outputName: "conv")
        h = try g.addNode(name: "bn", op: BatchNorm(), inputs: [h, const("scale"), const("shift"), const("mean"), const("variance")], outputName: "bn")
        h = try g.addNode(name: "relu", op: Activation(.relu), inputs: [h], outputName: "relu")
        h = try g.addNode(name: "flatten", op: Reshape(to: [1, 8], type: "Flatten"), inputs: [h], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [h, const("wf"), const("bf")], outputName: "logits")]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probity-randomization-\(getpid()).onnx").path
        try ONNXExporter.export(g, to: path)
        return try ONNXModel(path: path)
    }

    func testBiasesAreRedrawnAndBatchNormIsReset() throws {
        let model = try model()
        XCTAssertEqual(try model.layers, ["conv", "logits"], "the BatchNorm belongs to the conv")
        let fresh = try Randomization.reinitialize(graph: model.importedGraph(), layers: ["conv", "logits"], seed: 5)
        // Conv: fan_in = 1 → U(±1); Gemm: fan_in = 8 → U(±1/√8). Original biases lie outside both.
        for (name, bound) in [("bc", Float(1)), ("wc", 1), ("bf", 1 / Float(8).squareRoot()), ("wf", 1 / Float(8).squareRoot())] {
            let t = fresh[name]!
            XCTAssert(t.storage.allSatisfy { abs($0) <= bound }, "\(name) within ±\(bound): \(t.storage)")
            XCTAssert(t.storage.contains { $0 != 0 }, "\(name) is drawn, not zeroed")
            XCTAssertNotEqual(t.storage, Self.original[name]!.storage, name)
        }
        XCTAssertEqual(fresh["scale"]!.storage, [1, 1]); XCTAssertEqual(fresh["variance"]!.storage, [1, 1])
        XCTAssertEqual(fresh["shift"]!.storage, [0, 0]); XCTAssertEqual(fresh["mean"]!.storage, [0, 0])

        // The randomized model runs with them: BatchNorm output = (w′x + b′)/√(1 + 1e-5);
        // logits = W_f · relu(that) + b_f with the Gemm untouched.
        let x = Tensor(shape: [1, 1, 2, 2], storage: [1, -2, 0.5, 3])
        let conv = try model.randomized(layers: ["conv"], seed: 5)
        let bn = try conv.capture(layer: "bn", x, targets: [0]).activation
        var want = [Float](repeating: 0, count: 8)
        for k in 0..<2 { for p in 0..<4 {
            want[k * 4 + p] = (fresh["wc"]!.storage[k] * x.storage[p] + fresh["bc"]!.storage[k]) / (1 + 1e-5 as Float).squareRoot()
        } }
        for (a, b) in zip(bn.storage, want) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let wf = Self.original["wf"]!, bf = Self.original["bf"]!
        let logits = try conv.logits(x)
        for t in 0..<2 {
            let y = (0..<8).reduce(bf.storage[t]) { $0 + wf[t, $1] * max(0, want[$1]) }
            XCTAssertEqual(logits[0, t], y, accuracy: 1e-5)
        }
        // The original is untouched: its BatchNorm still uses the stored statistics.
        let before = try model.capture(layer: "bn", x, targets: [0]).activation
        let y00 = (0.5 * 1 + 3 - 0.3) / (4 + 1e-5 as Float).squareRoot() * 2 + 1
        XCTAssertEqual(before.storage[0], y00, accuracy: 1e-5)
    }
}
