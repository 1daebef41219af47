import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// Model-parameter randomization (Adebayo 2018) on EfficientNet-Lite0.
final class RandomizationTests: XCTestCase {
    func testLayersAreTheWeightedNodesInGraphOrder() throws {
        let model = try ParityTests.model.get()
        let layers = try model.layers
        XCTAssertEqual(layers.count, 50)
        XCTAssertEqual(layers.first, "/m/_conv_stem/Conv_output_0")
        XCTAssertEqual(layers.last, "logits")
        // Graph order: each layer's node comes after the previous one's.
        let graph = try model.importedGraph()
        let positions = layers.map { name in graph.nodes.firstIndex { graph.values[$0.output].name == name }! }
        XCTAssertEqual(positions, positions.sorted())
        // A cascade from the output randomizes the last k + 1 layers.
        XCTAssertEqual(Randomization.cascade(layers, step: 0), ["logits"])
        XCTAssertEqual(Randomization.cascade(layers, step: 2), Array(layers.suffix(3)))
    }

    func testReinitializationFollowsPyTorchDefaults() throws {
        let model = try ParityTests.model.get()
        let graph = try model.importedGraph()
        let layers = Randomization.layers(of: graph)
        let stem = layers[0], head = layers.last!
        let fresh = try Randomization.reinitialize(graph: graph, layers: [stem.name, head.name], seed: 7)
        for layer in [stem, head] {
            for (v, role) in layer.parameters {
                let t = fresh[graph.values[v].name]!
                XCTAssertEqual(t.shape, graph.values[v].shape)
                guard case .weight(let fanIn) = role else { continue }
                // Uniform on ±1/√fan_in: max near the bound, mean near 0, variance bound²/3.
                let bound = 1 / Float(fanIn).squareRoot()
                let maxAbs = t.storage.map(abs).max()!
                XCTAssertLessThanOrEqual(maxAbs, bound)
                XCTAssertGreaterThan(maxAbs, 0.95 * bound)
                let mean = t.storage.reduce(0, +) / Float(t.count)
                let variance = t.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)
                XCTAssertEqual(variance, bound * bound / 3, accuracy: 0.1 * bound * bound / 3, "\(layer.name)")
            }
        }
        XCTAssertEqual(stem.parameters.first.map { if case .weight(let f) = $0.role { return f } else { return 0 } }, 3 * 3 * 3)
        // The same layer gets the same weights whatever else is randomized (cascade steps agree).
        let alone = try Randomization.reinitialize(graph: graph, layers: [head.name], seed: 7)
        for (name, t) in alone { XCTAssertEqual(t.storage, fresh[name]!.storage) }
        XCTAssertThrowsError(try Randomization.reinitialize(graph: graph, layers: ["no-such-layer"], seed: 7)) { error in
            XCTAssert("\(error)".contains("/m/_conv_stem/Conv_output_0"), "the error lists the layers: \(error)")
        }
    }

    func testRandomizedModelNoLongerCorrelatesAndOriginalIsUntouched() throws {
        let model = try ParityTests.model.get()
        let (x, expected) = try ParityTests.fixtureInput()
        let layers = try model.layers
        let destroyed = try model.randomized(layers: layers, seed: 11)
        let after = try destroyed.logits(x)
        XCTAssertEqual(try model.logits(x).argmaxRows(), expected.argmaxRows(), "the original model is unchanged")
        let r = spearman(after.storage, expected.storage)
        XCTAssertLessThan(abs(r), 0.1, "rank correlation of all logits after randomizing every layer: \(r)")
        // Only the top layer: the logits change, the penultimate features do not.
        let top = try model.randomized(layers: Randomization.cascade(layers, step: 0), seed: 11)
        XCTAssertGreaterThan(try top.logits(x).maxAbsDifference(expected), 0.1)
        let hook = "/m/_conv_head/Conv_output_0"
        let a = try model.capture(layer: hook, x.item(0), targets: [0]).activation
        let b = try top.capture(layer: hook, x.item(0), targets: [0]).activation
        XCTAssertEqual(a.storage, b.storage)
        // Randomizing is deterministic in the seed.
        XCTAssertEqual(try model.randomized(layers: layers, seed: 11).logits(x.item(1)).storage, after.slice(batch: 1..<2).storage)
    }

    func spearman(_ a: [Float], _ b: [Float]) -> Double {
        func ranks(_ v: [Float]) -> [Double] {
            var r = [Double](repeating: 0, count: v.count)
            for (rank, i) in v.indices.sorted(by: { v[$0] < v[$1] }).enumerated() { r[i] = Double(rank) }
            return r
        }
        let ra = ranks(a), rb = ranks(b)
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        var num = 0.0, da = 0.0, db = 0.0
        for i in ra.indices { num += (ra[i] - ma) * (rb[i] - mb); da += (ra[i] - ma) * (ra[i] - ma); db += (rb[i] - mb) * (rb[i] - mb) }
        return num / (da * db).squareRoot()
    }
}
