import Foundation
import XCTest
import ProbityCore
@testable import ProbityEngine
@testable import ProbityONNX

/// Opset < 7 `Add` with `broadcast=1` and a computed second operand (ONNX's
/// `test_operator_add_broadcast`: [2, 3] + [3]): the importer reshapes B with a node, so every
/// value a kernel reads has memory in the plan. It used to bind a bare value of the aligned
/// shape, which the plan never placed; the kernel read before its arena (AddressSanitizer's
/// heap-buffer-overflow in `Binary.forward`).
final class LegacyBroadcastTests: XCTestCase {
    func testComputedOperandIsReshapedByANode() throws {
        try ConformanceTests.requireTestData()
        let importer = try ONNXImporter(path: ConformanceRunner.root + "/pytorch-operator/test_operator_add_broadcast/model.onnx")
        let graph = try importer.graph(inputShapes: [[2, 3], [3]])
        let produced = Set(graph.inputs).union(graph.nodes.map(\.output))
        for node in graph.nodes { for v in node.inputs { XCTAssertTrue(produced.contains(v) || graph.values[v].constant != nil, graph.values[v].name) } }
        let a = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [3], storage: [10, 20, 30])
        for g in [graph, Planner.optimize(graph)] {
            let plan = Plan(g, context: ExecutionContext(threads: 1))
            XCTAssertTrue(plan.offsets.indices.allSatisfy { v in plan.offsets[v] >= 0 || !g.nodes.contains { $0.inputs.contains(v) } })
            XCTAssertEqual(try plan.run([a, b])[0].storage, [11, 22, 33, 14, 25, 36])
        }
    }
}
