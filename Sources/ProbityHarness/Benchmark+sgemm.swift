import Foundation
import ProbityCore
import ProbityEngine

/// The ceiling of `probity bench`: sgemm GFLOP/s on this machine, in the same run as the
/// figures it bounds.
extension Benchmark {
    /// One matrix product: C [m, n] = A [m, k] · B [k, n].
    struct GemmShape: Hashable { var m, n, k: Int; var flops: Double { 2 * Double(m * n * k) } }

    /// sgemm GFLOP/s at n × n × n with OpenBLAS on `threads` threads (each repetition at least
    /// ~0.2 s of products).
    static func sgemm(n: Int, threads: Int, repetitions: Int) -> Measured {
        var rng = RNG(seed: 1)
        let a = rng.normalTensor(shape: [n, n]), b = rng.normalTensor(shape: [n, n])
        var c = Tensor(shape: [n, n])
        let saved = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = saved }
        let calls = max(1, Int(0.2 * 150e9 / (2 * Double(n * n * n))))
        let t = Measured.seconds(repetitions: repetitions, countWarmupAfter: .infinity) { _ in
            a.storage.withUnsafeBufferPointer { pa in b.storage.withUnsafeBufferPointer { pb in c.storage.withUnsafeMutableBufferPointer { pc in
                for _ in 0..<calls { BLAS.sgemm(m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n) }
            } } }
        }
        return t.map { Double(calls) * 2 * Double(n * n * n) / $0 / 1e9 }
    }

    /// The products one image's forward pass makes with sgemm: ungrouped convolutions
    /// (m = output channels, n = output pixels, k = input channels × kernel area) and Gemms.
    static func gemmShapes(_ graph: Graph) -> [GemmShape] {
        graph.nodes.compactMap { node -> GemmShape? in
            let out = graph.values[node.output].shape
            if let conv = node.op as? Conv, conv.group == 1, node.inputs.count > 1, out.count == 4 {
                let w = graph.values[node.inputs[1]].shape
                return GemmShape(m: w[0], n: out[2] * out[3], k: w[1] * w[2] * w[3])
            }
            if let gemm = node.op as? Gemm, node.inputs.count > 1, out.count == 2 {
                let b = graph.values[node.inputs[1]].shape
                return GemmShape(m: out[0], n: out[1], k: gemm.transB ? b[1] : b[0])
            }
            return nil
        }
    }

    /// GFLOP/s of the model's products run as the engine runs them: one single-threaded sgemm
    /// per sample, `threads` samples at once (each repetition: every product of 32 images).
    static func sgemm(shapes: [GemmShape], threads: Int, repetitions: Int) -> Measured {
        guard !shapes.isEmpty else { return Measured([0]) }
        let context = ExecutionContext(threads: threads)
        let size = { (s: GemmShape) in (s.m * s.k, s.k * s.n, s.m * s.n) }
        let most = shapes.reduce((0, 0, 0)) { acc, s in let (a, b, c) = size(s); return (max(acc.0, a), max(acc.1, b), max(acc.2, c)) }
        var rng = RNG(seed: 3)
        let a = rng.normalTensor(shape: [most.0]).storage, b = rng.normalTensor(shape: [most.1]).storage
        let buffers = (0..<threads).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(1, most.2)) }
        defer { for p in buffers { p.deallocate() } }
        let images = 32
        let work = Double(images) * shapes.reduce(0) { $0 + $1.flops }
        let t = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            Measured.seconds(repetitions: repetitions, countWarmupAfter: .infinity) { _ in
                context.parallel(images) { _, thread in
                    for s in shapes {
                        BLAS.sgemm(m: s.m, n: s.n, k: s.k, a: pa.baseAddress!, lda: s.k, b: pb.baseAddress!, ldb: s.n, c: buffers[thread], ldc: s.n)
                    }
                }
            }
        } }
        return t.map { work / $0 / 1e9 }
    }
}
