import XCTest
import ProbityCore
@testable import ProbityEngine
@testable import ProbityONNX

/// MatMul's batched products (`SampleLayout`): the planner finds where each MatMul's samples
/// are, the products then run as one `sgemm` per matrix or per sample, and a sample's result
/// stays bit-identical alone and in a batch (the parity tests check logits and gradients; here
/// the layouts found and a by-hand product).
final class SampleLayoutTests: XCTestCase {
    /// Which MatMuls of the transformer fixtures get a layout, at batch 3.
    func testLayoutsFoundOnTransformers() throws {
        for name in ["vit_ts17", "vit_dyn18", "swin_ts17", "swin_dyn18"] {
            let model = try ONNXModel(path: Paths.repo("Tests/Fixtures/transformers/\(name).onnx"))
            let graph = try model.importedGraph(batch: 3)
            var found: [String: Int] = [:]
            for node in graph.nodes {
                guard let op = node.op as? MatMul else { continue }
                let key: String
                switch op.samples { case .matrices?: key = "matrices"; case .axis(let p)?: key = "axis \(p)"; case nil: key = "row by row" }
                found[key, default: 0] += 1
            }
            print("\(name) MatMul layouts at batch 3: \(found.sorted { $0.key < $1.key })")
            XCTAssertEqual(found["row by row"] ?? 0, 0, "\(name): every MatMul batched")
            XCTAssertGreaterThan(found.values.reduce(0, +), 0, name)
        }
    }

    /// A = [tokens 3, batch 2, dim 4] × B [4, 5] (`.axis(1)`, as PyTorch's attention lays out its
    /// projections) and [batch 2, 3, 4] × [2, 4, 5] (`.matrices`): equal to the plain product
    /// within float rounding, and each sample's rows bit-identical to the product of that sample alone.
    func testProductsByHand() throws {
        var rng = RNG(seed: 61)
        let context = ExecutionContext(threads: 2)
        func product(_ op: MatMul, _ a: Tensor, _ b: Tensor) throws -> Tensor {
            let shape = try op.outputShape([a.shape, b.shape])
            var out = Tensor(shape: shape)
            a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in out.storage.withUnsafeMutableBufferPointer { po in
                op.forward([ConstView(pointer: pa.baseAddress!, shape: a.shape), ConstView(pointer: pb.baseAddress!, shape: b.shape)],
                           MutableView(pointer: po.baseAddress!, shape: shape), context)
            } } }
            return out
        }
        func reference(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Double] {
            (0..<(m * n)).map { e in (0..<k).reduce(0.0) { $0 + Double(a[(e / n) * k + $1]) * Double(b[$1 * n + e % n]) } }
        }
        var tokens = MatMul(); tokens.samples = .axis(1)
        let a = rng.normalTensor(shape: [3, 2, 4]), w = rng.normalTensor(shape: [4, 5])
        let y = try product(tokens, a, w)
        for (got, want) in zip(y.storage, reference(a.storage, w.storage, m: 6, k: 4, n: 5)) { XCTAssertEqual(Double(got), want, accuracy: 1e-5) }
        for s in 0..<2 {
            var rows: [Float] = []
            for t in 0..<3 { let start: Int = (t * 2 + s) * 4; rows += a.storage[start..<(start + 4)] }
            let ya = try product(tokens, Tensor(shape: [3, 1, 4], storage: rows), w)
            for t in 0..<3 {
                let mine: Int = t * 5, inBatch: Int = (t * 2 + s) * 5
                XCTAssertEqual(Array(ya.storage[mine..<(mine + 5)]), Array(y.storage[inBatch..<(inBatch + 5)]), "sample \(s), token \(t)")
            }
        }
        var matrices = MatMul(); matrices.samples = .matrices
        let p = rng.normalTensor(shape: [2, 3, 4]), q = rng.normalTensor(shape: [2, 4, 300])   // two column blocks
        let z = try product(matrices, p, q)
        for i in 0..<2 {
            let want = reference(Array(p.storage[(i * 12)..<(i * 12 + 12)]), Array(q.storage[(i * 1200)..<(i * 1200 + 1200)]), m: 3, k: 4, n: 300)
            for (got, w) in zip(z.storage[(i * 900)..<(i * 900 + 900)], want) { XCTAssertEqual(Double(got), w, accuracy: 1e-5) }
            let alone = try product(matrices, p.item(i), q.item(i))
            XCTAssertEqual(alone.storage, Array(z.storage[(i * 900)..<(i * 900 + 900)]), "matrix \(i) alone")
        }
    }
}
