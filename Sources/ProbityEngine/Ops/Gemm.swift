import ProbityCore

/// ONNX Gemm: Y = alpha · A′ · B′ + beta · C, with A′ = transA ? Aᵀ : A (likewise B), and C
/// broadcast to [M, N]. An activation may be fused as an epilogue. Rows of Y are split over
/// threads for large products.
public struct Gemm: Operator {
    public var type: String { "Gemm" }
    public var alpha: Float = 1
    public var beta: Float = 1
    public var transA = false
    public var transB = false
    public var activation: Activation.Kind = .identity
    /// Where each output element reads C, set by `planned(for:)`.
    var mapC: [Int]? = nil

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha; self.beta = beta; self.transA = transA; self.transB = transB
    }

    func dims(_ inputs: [[Int]]) -> (m: Int, k: Int, n: Int) {
        let a = inputs[0], b = inputs[1]
        return (transA ? a[1] : a[0], transA ? a[0] : a[1], transB ? b[0] : b[1])
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 2 || inputs.count == 3, inputs[0].count == 2, inputs[1].count == 2 else {
            throw shapeError(type, "expects 2-D A and B and an optional C, got \(inputs)")
        }
        let (m, k, n) = dims(inputs)
        let k2 = transB ? inputs[1][1] : inputs[1][0]
        guard k == k2 else { throw shapeError(type, "inner extents differ: A \(inputs[0]), B \(inputs[1])") }
        if inputs.count == 3 {
            let c = inputs[2]
            guard (try? IndexMaps.broadcastShape([m, n], c)) == [m, n] else { throw shapeError(type, "C \(c) does not broadcast to [\(m), \(n)]") }
        }
        return [m, n]
    }

    public func flops(inputs: [[Int]], output: [Int]) -> Int {
        let (m, k, n) = dims(inputs)
        return 2 * m * k * n
    }

    public func planned(for inputs: [[Int]]) -> any Operator {
        guard inputs.count == 3 else { return self }
        let (m, _, n) = dims(inputs)
        var copy = self
        copy.mapC = IndexMaps.broadcast(inputs[2], to: [m, n])
        return copy
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let (m, k, n) = dims(inputs.map(\.shape))
        let y = output.pointer
        var beta: Float = 0
        if inputs.count == 3 && self.beta != 0 {
            let c = inputs[2]
            let map = mapC ?? IndexMaps.broadcast(c.shape, to: [m, n])
            for i in 0..<(m * n) { y[i] = c[map[i]] }
            beta = self.beta
        }
        let a = inputs[0], b = inputs[1]
        // One row (sample) per call: OpenBLAS kernels may round a row differently by its
        // position and the call's row count, so rows are computed alone to keep each sample's
        // output independent of its batch. Rows in parallel when the work is large enough.
        let parts = m * n * k > 1 << 18 ? Swift.min(context.threads, m) : 1
        context.parallel(parts) { part, _ in
            for r in (m * part / parts)..<(m * (part + 1) / parts) {
                let aStart = transA ? a.pointer + r : a.pointer + r * a.shape[1]
                BLAS.sgemm(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: alpha,
                           a: aStart, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], beta: beta, c: y + r * n, ldc: n)
            }
        }
        if activation != .identity { Activation.apply(activation, from: y, to: y, count: m * n) }
    }
}

/// ONNX MatMul (NumPy `matmul`): 1-D operands are promoted and their axis removed; leading
/// axes broadcast. With a `SampleLayout` (set by the planner) the products run as one `sgemm`
/// per matrix or per sample, in fixed column blocks; without, one per row of each pair of
/// matrices. Either way a sample's result does not depend on its batch.
public struct MatMul: Operator {
    public var type: String { "MatMul" }
    /// Where the batch's samples sit in A (see `SampleLayout`); nil: one call per row.
    public var samples: SampleLayout? = nil
    public init() {}

    /// Shapes as batches of matrices, and the output shape.
    func layout(_ inputs: [[Int]]) throws -> (a: [Int], b: [Int], batch: [Int], out: [Int]) {
        guard inputs.count == 2, !inputs[0].isEmpty, !inputs[1].isEmpty else { throw shapeError(type, "expects two non-scalar inputs") }
        var a = inputs[0], b = inputs[1]
        let aVector = a.count == 1, bVector = b.count == 1
        if aVector { a = [1, a[0]] }
        if bVector { b = [b[0], 1] }
        guard a[a.count - 1] == b[b.count - 2] else { throw shapeError(type, "inner extents differ: \(inputs[0]) × \(inputs[1])") }
        let batch = try IndexMaps.broadcastShape(Array(a.dropLast(2)), Array(b.dropLast(2)))
        var out = batch
        if !aVector { out.append(a[a.count - 2]) }
        if !bVector { out.append(b[b.count - 1]) }
        return (a, b, batch, out)
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] { try layout(inputs).out }

    public func flops(inputs: [[Int]], output: [Int]) -> Int {
        guard let l = try? layout(inputs) else { return 0 }
        return 2 * l.batch.reduce(1, *) * l.a[l.a.count - 2] * l.a[l.a.count - 1] * l.b[l.b.count - 1]
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        guard let l = try? layout(inputs.map(\.shape)) else { return }
        let m = l.a[l.a.count - 2], k = l.a[l.a.count - 1], n = l.b[l.b.count - 1]
        let batches = l.batch.reduce(1, *)
        let aBatch = Array(l.a.dropLast(2)), bBatch = Array(l.b.dropLast(2))
        let mapA = IndexMaps.broadcast(aBatch, to: l.batch), mapB = IndexMaps.broadcast(bBatch, to: l.batch)
        if let samples, l.a.count == inputs[0].shape.count || samples == .matrices {
            MatMul.products(samples, shape: l.a, m: m, k: k, n: n, mapA: mapA, mapB: mapB, transB: false,
                            a: inputs[0].pointer, b: inputs[1].pointer, beta: 0, c: output.pointer, context)
            return
        }
        // One `sgemm` per row, as Gemm: OpenBLAS rounds a row by its position and by the call's row
        // count, and exports that put the batch inside the rows (torchvision's attention works on
        // [tokens × batch, channels]) would otherwise give a sample different logits in a batch.
        let rows = batches * m
        let parts = rows * n * k > 1 << 18 ? Swift.min(context.threads, rows) : 1
        context.parallel(parts) { part, _ in
            for r in (rows * part / parts)..<(rows * (part + 1) / parts) {
                let (i, row) = r.quotientAndRemainder(dividingBy: m)
                BLAS.sgemm(m: 1, n: n, k: k, a: inputs[0].pointer + mapA[i] * m * k + row * k, lda: k,
                           b: inputs[1].pointer + mapB[i] * k * n, ldb: n, c: output.pointer + r * n, ldc: n)
            }
        }
    }
}

// MARK: - Backward

extension Gemm: LinearLayer, FusedActivation {
    /// dA′ = α·dZ·B′ᵀ, dB′ = α·A′ᵀ·dZ, dC = β·dZ summed over broadcast axes. LRP rules treat
    /// A as the data, α·B′ as the weights and β·C as the bias (A must not be transposed).
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let dz = args.gradOutput
        if activation != .identity {
            activation.applyDerivative(output: args.output.pointer, to: dz.pointer, count: dz.count, rule: args.rule, context)
        }
        let a = args.inputs[0], b = args.inputs[1]
        let (m, k, n) = dims(args.inputs.map(\.shape))
        if args.rule.linear.isLRP && !transA {
            if let rIn = args.gradInputs[0] {
                LRP.propagate(self, rule: args.rule.linear, stabilizer: args.rule.stabilizer, x: a, weight: b,
                              bias: args.inputs.count > 2 ? args.inputs[2] : nil, relevance: dz.readOnly, into: rIn, context)
            }
            return
        }
        if let da = args.gradInputs[0] {
            if !transA {
                Gemm.rowwise(transB: !transB, m: m, n: k, k: n, alpha: alpha, a: dz.pointer, lda: n, b: b.pointer, ldb: b.shape[1],
                             c: da.pointer, ldc: k, context)
            } else {
                BLAS.sgemm(transA: transB, transB: true, m: k, n: m, k: n, alpha: alpha, a: b.pointer, lda: b.shape[1], b: dz.pointer, ldb: n,
                           beta: 1, c: da.pointer, ldc: m)
            }
        }
        if args.gradInputs.count > 1, let db = args.gradInputs[1] {
            if !transB {
                BLAS.sgemm(transA: !transA, m: k, n: n, k: m, alpha: alpha, a: a.pointer, lda: a.shape[1], b: dz.pointer, ldb: n,
                           beta: 1, c: db.pointer, ldc: n)
            } else {
                BLAS.sgemm(transA: true, transB: transA, m: n, n: k, k: m, alpha: alpha, a: dz.pointer, lda: n, b: a.pointer, ldb: a.shape[1],
                           beta: 1, c: db.pointer, ldc: k)
            }
        }
        if args.gradInputs.count > 2, let dc = args.gradInputs[2] {
            let map = mapC ?? IndexMaps.broadcast(args.inputs[2].shape, to: [m, n])
            for i in 0..<(m * n) { dc.pointer[map[i]] += beta * dz.pointer[i] }
        }
    }

    public func linearBackwardData(_ dz: ConstView, weight: ConstView, into dx: MutableView, _ context: ExecutionContext) {
        let m = dz.shape[0], n = dz.shape[1], k = dx.shape[1]
        Gemm.rowwise(transB: !transB, m: m, n: k, k: n, alpha: alpha, a: dz.pointer, lda: n, b: weight.pointer, ldb: weight.shape[1],
                     c: dx.pointer, ldc: k, context)
    }

    /// C += alpha · A · op(B), one row of A per `sgemm` call (see `forward`): input gradients
    /// of a sample then do not depend on the other samples of its batch.
    static func rowwise(transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, _ context: ExecutionContext) {
        let parts = m * n * k > 1 << 18 ? Swift.min(context.threads, m) : 1
        context.parallel(parts) { part, _ in
            for r in (m * part / parts)..<(m * (part + 1) / parts) {
                BLAS.sgemm(transB: transB, m: 1, n: n, k: k, alpha: alpha, a: a + r * lda, lda: lda, b: b, ldb: ldb, beta: 1, c: c + r * ldc, ldc: ldc)
            }
        }
    }
}

extension MatMul {
    /// dA_i += dZ_i·B_iᵀ and dB_i += A_iᵀ·dZ_i for each matrix pair; operands broadcast over
    /// leading axes receive the sum over the pairs that read them. Under LRP rules relevance
    /// flows by the rules in `MatMul+LRP.swift`.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        if args.rule.lrp { return propagateRelevance(args, context) }
        guard let l = try? layout(args.inputs.map(\.shape)) else { return }
        let m = l.a[l.a.count - 2], k = l.a[l.a.count - 1], n = l.b[l.b.count - 1]
        let batches = l.batch.reduce(1, *)
        let mapA = IndexMaps.broadcast(Array(l.a.dropLast(2)), to: l.batch), mapB = IndexMaps.broadcast(Array(l.b.dropLast(2)), to: l.batch)
        let a = args.inputs[0].pointer, b = args.inputs[1].pointer, dz = args.gradOutput.pointer
        // dA_i += dZ_i·B_iᵀ laid out as the forward's products (dZ's rows are A's) when A is not
        // broadcast over the products (each dA matrix then has one writer); else row by row.
        let batched = samples != nil && l.a.count == args.inputs[0].shape.count && Array(l.a.dropLast(2)) == l.batch
        if batched, let samples, let da = args.gradInputs[0] {
            MatMul.products(samples, shape: Array(l.a.dropLast()) + [n], m: m, k: n, n: k, mapA: Array(0..<batches), mapB: mapB, transB: true,
                            a: dz, b: b, beta: 1, c: da.pointer, context)
        }
        for i in 0..<batches {
            if !batched, let da = args.gradInputs[0] {
                Gemm.rowwise(transB: true, m: m, n: k, k: n, alpha: 1, a: dz + i * m * n, lda: n, b: b + mapB[i] * k * n, ldb: n,
                             c: da.pointer + mapA[i] * m * k, ldc: k, context)
            }
            if let db = args.gradInputs[1] {
                BLAS.sgemm(transA: true, m: k, n: n, k: m, a: a + mapA[i] * m * k, lda: k, b: dz + i * m * n, ldb: n,
                           beta: 1, c: db.pointer + mapB[i] * k * n, ldc: n)
            }
        }
    }
}
