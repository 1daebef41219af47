import Foundation
import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// The importer's node order (`NodeOrder.swift`): the order of the repeated top-to-bottom
/// sweeps it replaces, for every graph, computed without sweeping — so a long graph listed
/// backwards imports — and the cycle it names when nodes wait on one another.
final class NodeOrderTests: XCTestCase {
    typealias T = ImporterTests

    /// The rule the order is defined by, run literally (O(n²) sweeps): what the importer did
    /// before, kept here as the reference.
    static func sweeps(_ model: Onnx_ModelProto) -> (order: [String], unplaced: [String]) {
        var known = Set(model.graph.initializer.map(\.name)).union(model.graph.input.map(\.name))
        known.insert("")
        var pending = Array(model.graph.node), order: [Onnx_NodeProto] = []
        while !pending.isEmpty {
            let before = order.count
            pending.removeAll { node in
                guard node.input.allSatisfy({ known.contains($0) }) else { return false }
                known.formUnion(node.output)
                order.append(node)
                return true
            }
            if order.count == before { break }
        }
        return (order.map(\.name), pending.map(\.name))
    }

    /// The cycle rule run literally: drop waiting nodes that feed no other until none drops.
    static func peeledByRounds(_ pending: [Onnx_NodeProto]) -> [String] {
        var cycle = pending
        while true {
            let read = Set(cycle.flatMap(\.input))
            let feeding = cycle.filter { $0.output.contains(where: read.contains) }
            if feeding.count == cycle.count || feeding.isEmpty { break }
            cycle = feeding
        }
        return cycle.map(\.name)
    }

    func importer(_ nodes: [Onnx_NodeProto], output: String) throws -> ONNXImporter {
        try ONNXImporter(path: try T.write(nodes, inputs: [T.info("x", [1, 1, 2, 2])], outputs: [output]))
    }

    /// 200 000 Relus in a chain, listed last to first: placed first to last (the sweeps would
    /// take 200 000 passes), imported into a graph of 200 000 nodes that computes relu(x).
    func testReversedChainOf200000NodesImportsInChainOrder() throws {
        let n = 200_000
        let chain = (0..<n).map { k in T.node("Relu", [k == 0 ? "x" : "v\(k)"], ["v\(k + 1)"], name: "n\(k)") }
        let importer = try importer(chain.reversed(), output: "v\(n)")
        let (order, unplaced, known) = importer.topologicalOrder()
        XCTAssertEqual(order.map(\.name), chain.map(\.name))
        XCTAssertTrue(unplaced.isEmpty)
        XCTAssertEqual(known.count, n + 2)  // x, "" and every v
        let graph = try importer.graph(inputShapes: [[1, 1, 2, 2]])
        XCTAssertEqual(graph.nodes.count, n)
        XCTAssertEqual(graph.outputs.count, 1)
        // Each node reads the one before it.
        XCTAssertEqual(graph.nodes[0].inputs, graph.inputs)
        XCTAssertEqual((1..<n).first { graph.nodes[$0].inputs != [graph.nodes[$0 - 1].output] }, nil)
        XCTAssertEqual(graph.outputs, [graph.nodes[n - 1].output])
    }

    /// Random graphs — several inputs per node, names produced twice, missing inputs, cycles —
    /// listed sorted, shuffled and reversed: the same order and the same unplaced nodes as the
    /// sweeps, and the same cycle as peeling by rounds.
    func testOrderAndCycleMatchTheSweepsOnRandomGraphs() throws {
        var rng = RNG(seed: 7)
        for trial in 0..<60 {
            let count = Int.random(in: 2...300, using: &rng)
            var nodes: [Onnx_NodeProto] = []
            for i in 0..<count {
                // Inputs from earlier outputs mostly; now and then a later one (a cycle), a name
                // nothing makes, or x; outputs sometimes a name another node makes too.
                var inputs: [String] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let roll = Int.random(in: 0..<100, using: &rng)
                    if roll < 3 && trial % 2 == 1 { inputs.append("o\(Int.random(in: i..<count, using: &rng))") }
                    else if roll < 4 && trial % 3 == 2 { inputs.append("ghost") }
                    else if roll < 15 || i == 0 { inputs.append("x") }
                    else { inputs.append("o\(Int.random(in: 0..<i, using: &rng))") }
                }
                let output = Int.random(in: 0..<20, using: &rng) == 0 && i > 0 ? "o\(Int.random(in: 0..<i, using: &rng))" : "o\(i)"
                nodes.append(T.node("Relu", inputs, [output], name: "n\(i)"))
            }
            for listing in [nodes, nodes.shuffled(using: &rng), nodes.reversed()] {
                let model = try importerModel(listing)
                let reference = Self.sweeps(model)
                let importer = ONNXImporter(model: model, file: "random.onnx")
                let (order, unplaced, _) = importer.topologicalOrder()
                XCTAssertEqual(order.map(\.name), reference.order, "trial \(trial)")
                XCTAssertEqual(unplaced.map(\.name), reference.unplaced, "trial \(trial)")
                let known = Set(model.graph.input.map(\.name)).union(order.flatMap(\.output))
                let produced = Set(listing.flatMap(\.output))
                if !unplaced.isEmpty, !unplaced.contains(where: { $0.input.contains { !known.contains($0) && !produced.contains($0) } }) {
                    XCTAssertEqual(ONNXImporter.cycle(among: unplaced).map(\.name), Self.peeledByRounds(unplaced), "trial \(trial)")
                }
            }
        }
    }

    /// A two-node cycle with 100 000 nodes hanging after it, listed backwards: the error names
    /// the two, as it always has.
    func testCycleBeforeALongTailNamesOnlyTheCycle() throws {
        var nodes = [T.node("Add", ["x", "b"], ["a"], name: "a"), T.node("Relu", ["a"], ["b"], name: "b")]
        nodes += (0..<100_000).map { k in T.node("Relu", [k == 0 ? "b" : "t\(k)"], ["t\(k + 1)"], name: "t\(k)") }
        let path = try T.write(nodes.reversed(), inputs: [T.info("x", [1, 1, 2, 2])], outputs: ["t100000"])
        XCTAssertThrowsError(try ONNXImporter(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): nodes b (Relu), a (Add) form a cycle")
        }
    }

    func importerModel(_ nodes: [Onnx_NodeProto]) throws -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.graph.node = nodes
        m.graph.input = [T.info("x", [1, 1, 2, 2])]
        return m
    }
}
