import XCTest
import ProbityCore
import ProbityData
@testable import ProbityONNX

/// A small CNN with GroupNorm and InstanceNorm2d (ONNX InstanceNormalization), `torch.amax`
/// (ReduceMax), `vector_norm` and `F.normalize` (ReduceL2), sums over chosen axes (ReduceSum) and
/// `torch.where` with a constant mask on computed values (Where), exported by both PyTorch
/// exporters (`Tests/Fixtures/common_ops/`, made by `Tests/Fixtures/recipes/make_common_ops_fixtures.py`).
/// Against ONNX Runtime's logits and PyTorch autograd's input gradients.
final class CommonOpsParityTests: XCTestCase {
    func fixture() throws -> HDF5File { try HDF5File(path: Paths.repo("Tests/Fixtures/common_ops/expected.h5")) }

    func testLogitsAndGradientsMatchONNXRuntimeAndPyTorch() throws {
        let f = try fixture()
        let x = Tensor(shape: [4, 3, 16, 16], storage: try f.read("/x", as: Float.self))
        let top = try f.read("/top", as: Int64.self).map(Int.init)
        let expectedGradient = try f.read("/input_gradient", as: Float.self)
        for exporter in ["ts17", "dyn18"] {
            let model = try ONNXModel(path: Paths.repo("Tests/Fixtures/common_ops/common_\(exporter).onnx"))
            let types = Set(try model.graph(batch: 1).nodes.map { $0.op.type })
            for op in ["LayerNormalization", "ReduceMax", "ReduceL2", "ReduceSum", "Where"] {   // InstanceNormalization runs as LayerNorm, Mul, Add
                XCTAssertTrue(types.contains(op), "\(exporter) runs \(op)")
            }
            let expected = Tensor(shape: [4, 5], storage: try f.read("/\(exporter)/logits", as: Float.self))
            let logits = try model.logits(x)
            let largest = expected.storage.map(abs).max()!
            XCTAssertLessThanOrEqual(logits.maxAbsDifference(expected), 1e-4 * largest, exporter)
            XCTAssertEqual(logits.argmaxRows(), expected.argmaxRows(), exporter)
            XCTAssertEqual(try model.logits(x.item(1)).storage, logits.slice(batch: 1..<2).storage, "\(exporter): sample 1 alone and in the batch")
            let (_, grad) = try model.gradient(of: top, wrt: x)
            var difference = 0.0, norm = 0.0
            for (g, e) in zip(grad.storage, expectedGradient) { difference += Double(g - e) * Double(g - e); norm += Double(e) * Double(e) }
            let relative = (difference / norm).squareRoot()
            XCTAssertLessThanOrEqual(relative, 1e-3, exporter)
            print("common_\(exporter): max |Δlogit| \(logits.maxAbsDifference(expected)) (largest \(largest)), gradient relative L2 \(relative)")
        }
    }
}
