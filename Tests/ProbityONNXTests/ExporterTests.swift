import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// Exported graphs import back and compute the same logits, for any batch size.
final class ExporterTests: XCTestCase {
    func testSmallCNNRoundTrip() throws {
        let net = SmallCNN(inputShape: [3, 16, 16], classes: 4)
        let params = try net.initialParameters(seed: 5)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-export-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("small.onnx").path
        // Export a plan-optimized graph: fused ReLUs come back out as nodes.
        let (g, _) = try net.graph(batch: 1, parameters: params)
        try ONNXExporter.export(Planner.optimize(g), to: path, docString: "test")
        let model = try ONNXModel(path: path)
        XCTAssertEqual(model.inputShape, [3, 16, 16])
        XCTAssertNil(model.fixedBatch, "the batch axis is symbolic")
        var rng = RNG(seed: 6)
        let x = rng.normalTensor(shape: [5, 3, 16, 16])
        let (g5, _) = try net.graph(batch: 5, parameters: params)
        let direct = try Plan(g5).run([x])[0]
        XCTAssertEqual(try model.logits(x).storage, direct.storage)
        XCTAssertEqual(model.importer.model.docString, "test")
        // The unoptimized graph keeps the layer names.
        try ONNXExporter.export(g, to: path)
        let plain = try ONNXModel(path: path)
        XCTAssertEqual(try plain.layers, ["block1.conv", "block2.conv", "block3.conv", "logits"])
        XCTAssertEqual(try plain.logits(x).storage, direct.storage)
    }
}
