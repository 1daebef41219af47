import CBLAS

/// Thin wrappers over OpenBLAS. Row-major throughout.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, with leading dimensions given explicitly.
    /// Cost: 2·m·n·k FLOPs. OpenBLAS threads large products over the cores.
    @inlinable
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Number of threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(Swift.max(1, newValue))) }
    }
}

extension Tensor {
    /// Matrix product of [m, k] and [k, n] (either optionally transposed) through `cblas_sgemm`.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul needs matrices, got \(shape) and \(other.shape)")
        let m = transposeSelf ? shape[1] : shape[0]
        let k = transposeSelf ? shape[0] : shape[1]
        let k2 = transposeOther ? other.shape[1] : other.shape[0]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        precondition(k == k2, "matmul inner extents differ: \(shape) × \(other.shape)")
        var out = Tensor(shape: [m, n])
        if m == 0 || n == 0 { return out }
        if k == 0 { return out }
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.storage.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                               a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                               c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
