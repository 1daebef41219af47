import Foundation

/// Add, Sub, Mul, Div, and Pow and Mod on run-time values, with NumPy broadcasting (ONNX opset ≥ 7).
/// Mod is the remainder with the divisor's sign (Python's %, ONNX `fmod=0`) or with the
/// dividend's (C's fmod, `fmod=1`).
///
/// Fast paths (Add, Sub, Mul, Div): equal shapes; one side a single value; one side per channel
/// ([C, 1, 1] or [1, C, 1, 1] against [N, C, H, W]), as in squeeze-excite and normalization; one
/// side the other's trailing dimensions ([C] or [1, T, C] against [N, T, C]), as a bias or a
/// position embedding on tokens. Other patterns, and Pow and Mod, read through broadcast index
/// maps computed at plan time.
public struct Binary: Operator {
    public enum Kind: String, Sendable {
        case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow", mod = "Mod", fmod = "Mod fmod=1"
    }
    public var kind: Kind
    public var type: String { kind == .fmod ? "Mod" : kind.rawValue }
    /// Broadcast maps, set by `planned(for:)` when no fast path applies.
    var mapA: [Int]? = nil
    var mapB: [Int]? = nil

    public init(_ kind: Kind) { self.kind = kind }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 2 else { throw shapeError(type, "expects two inputs") }
        return try IndexMaps.broadcastShape(inputs[0], inputs[1])
    }

    public func planned(for inputs: [[Int]]) -> any Operator {
        guard let out = try? outputShape(inputs) else { return self }
        var copy = self
        let a = inputs[0], b = inputs[1]
        // Index maps for every pattern but these three (the forward's trailing fast path
        // does not read them; the backward does).
        if a == out && (b == out || b.reduce(1, *) == 1 || Binary.perChannel(b, of: out) != nil) { return copy }
        if b == out && (a.reduce(1, *) == 1 || Binary.perChannel(a, of: out) != nil) { return copy }
        copy.mapA = IndexMaps.broadcast(a, to: out)
        copy.mapB = IndexMaps.broadcast(b, to: out)
        return copy
    }

    /// If `shape` holds one value per channel of `out` ([N, C, …]), the plane size.
    static func perChannel(_ shape: [Int], of out: [Int]) -> Int? {
        guard out.count >= 3 else { return nil }
        let c = out[1]
        let trailing = Array(out[2...])
        let ones = [Int](repeating: 1, count: trailing.count)
        if shape == [c] + ones || shape == [1, c] + ones { return trailing.reduce(1, *) }
        return nil
    }

    /// If `shape`, left-padded with ones, is `out`'s trailing dimensions after leading ones
    /// ([C] or [1, T, C] against [N, T, C]), the number of elements after which it repeats.
    static func trailing(_ shape: [Int], of out: [Int]) -> Int? {
        guard shape.count <= out.count else { return nil }
        let padded = [Int](repeating: 1, count: out.count - shape.count) + shape
        guard let first = padded.firstIndex(where: { $0 != 1 }) else { return nil }
        guard Array(padded[first...]) == Array(out[first...]) else { return nil }
        let period = padded.reduce(1, *)
        return period < out.reduce(1, *) ? period : nil
    }

    @inline(__always) public func op(_ a: Float, _ b: Float) -> Float {
        switch kind {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return Foundation.pow(a, b)
        case .fmod: return Foundation.fmod(a, b)
        case .mod:
            let r = Foundation.fmod(a, b)
            return r != 0 && (r < 0) != (b < 0) ? r + b : r
        }
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        switch kind {
        case .add: forward(BinaryAdd.self, inputs, output, context)
        case .sub: forward(BinarySub.self, inputs, output, context)
        case .mul: forward(BinaryMul.self, inputs, output, context)
        case .div: forward(BinaryDiv.self, inputs, output, context)
        case .pow, .mod, .fmod:
            let a = inputs[0], b = inputs[1], y = output.pointer
            if a.shape == output.shape && b.shape == output.shape {
                for i in 0..<output.count { y[i] = op(a[i], b[i]) }
            } else if a.shape == output.shape && b.count == 1 {
                let s = b[0]
                for i in 0..<output.count { y[i] = op(a[i], s) }
            } else {
                let ma = mapA ?? IndexMaps.broadcast(a.shape, to: output.shape), mb = mapB ?? IndexMaps.broadcast(b.shape, to: output.shape)
                for i in 0..<output.count { y[i] = op(a[ma[i]], b[mb[i]]) }
            }
        }
    }

    /// The arithmetic kinds, specialized per operation so the inner loops are plain (and
    /// vectorizable) element loops; large outputs are split over threads in contiguous runs.
    /// Each element is computed by the same expression whatever the split, so results do not
    /// depend on the thread count or the batch.
    private func forward<K: BinaryKernel>(_: K.Type, _ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let a = inputs[0], b = inputs[1], y = output.pointer
        let n = output.count
        let chunks = n > 1 << 15 ? context.threads : 1
        let pa = a.pointer, pb = b.pointer
        if a.shape == output.shape && b.shape == output.shape {
            context.parallel(chunks) { c, _ in
                for i in (n * c / chunks)..<(n * (c + 1) / chunks) { y[i] = K.f(pa[i], pb[i]) }
            }
            return
        }
        let aFull = a.shape == output.shape
        let full = aFull ? pa : pb, small = aFull ? b : a, sp = small.pointer
        let oneFull = aFull || b.shape == output.shape
        if oneFull && small.count == 1 {
            let s = sp[0]
            context.parallel(chunks) { c, _ in
                let range = (n * c / chunks)..<(n * (c + 1) / chunks)
                if aFull { for i in range { y[i] = K.f(full[i], s) } } else { for i in range { y[i] = K.f(s, full[i]) } }
            }
        } else if oneFull, let period = Binary.trailing(small.shape, of: output.shape) {
            // The small operand repeats every `period` elements (a bias over tokens' channels,
            // a position embedding over the batch).
            let rows = n / period
            let parts = chunks > 1 ? Swift.min(chunks, rows) : 1
            context.parallel(parts) { c, _ in
                for r in (rows * c / parts)..<(rows * (c + 1) / parts) {
                    let base = r * period
                    if aFull { for j in 0..<period { y[base + j] = K.f(full[base + j], sp[j]) } }
                    else { for j in 0..<period { y[base + j] = K.f(sp[j], full[base + j]) } }
                }
            }
        } else if oneFull, let plane = Binary.perChannel(small.shape, of: output.shape) {
            let ch = output.shape[1], planes = n / plane
            let parts = chunks > 1 ? Swift.min(chunks, planes) : 1
            context.parallel(parts) { c, _ in
                for p in (planes * c / parts)..<(planes * (c + 1) / parts) {
                    let s = sp[p % ch], base = p * plane
                    if aFull { for i in base..<(base + plane) { y[i] = K.f(full[i], s) } }
                    else { for i in base..<(base + plane) { y[i] = K.f(s, full[i]) } }
                }
            }
        } else {
            // Both operands broadcast, or some other pattern: through the index maps.
            let ma = mapA ?? IndexMaps.broadcast(a.shape, to: output.shape), mb = mapB ?? IndexMaps.broadcast(b.shape, to: output.shape)
            ma.withUnsafeBufferPointer { ma in mb.withUnsafeBufferPointer { mb in
                context.parallel(chunks) { c, _ in
                    for i in (n * c / chunks)..<(n * (c + 1) / chunks) { y[i] = K.f(pa[ma[i]], pb[mb[i]]) }
                }
            } }
        }
    }
}

/// One arithmetic operation as a type, so `Binary.forward` and `backward` are specialized per
/// operation: its value, and the increments of a's and b's gradient for an output gradient g
/// (written as the general loop writes them, so both give the same bits).
protocol BinaryKernel {
    static func f(_ a: Float, _ b: Float) -> Float
    static func da(_ g: Float, _ a: Float, _ b: Float) -> Float
    static func db(_ g: Float, _ a: Float, _ b: Float) -> Float
}
enum BinaryAdd: BinaryKernel {
    @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func da(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
    @inline(__always) static func db(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
}
enum BinarySub: BinaryKernel {
    @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) static func da(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
    @inline(__always) static func db(_ g: Float, _ a: Float, _ b: Float) -> Float { -g }
}
enum BinaryMul: BinaryKernel {
    @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) static func da(_ g: Float, _ a: Float, _ b: Float) -> Float { g * b }
    @inline(__always) static func db(_ g: Float, _ a: Float, _ b: Float) -> Float { g * a }
}
enum BinaryDiv: BinaryKernel {
    @inline(__always) static func f(_ a: Float, _ b: Float) -> Float { a / b }
    @inline(__always) static func da(_ g: Float, _ a: Float, _ b: Float) -> Float { g / b }
    @inline(__always) static func db(_ g: Float, _ a: Float, _ b: Float) -> Float { -(g * a / (b * b)) }
}

// MARK: - Backward

extension Binary {
    /// Chain rule with broadcast operands summed over the axes they were broadcast along.
    ///
    /// In LRP mode a sum splits relevance in proportion to its operands (Add: a/(a+b), Sub:
    /// a/(a−b) and −b/(a−b), ε-stabilized); a product or quotient with one operand that needs
    /// no relevance (a constant) passes it all to the other; a product of two variables gives
    /// it to the factor the plan did not detach (`NodeRule.detached`: the gate computed from
    /// the other factor, as GELU's Φ(x) in x·Φ(x)), else to the operand of the output's shape
    /// (the signal, not the broadcast gate), as the signal-take-all rule of Arras et al. 2017
    /// for gated products, else half to each.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let a = args.inputs[0], b = args.inputs[1], g = args.gradOutput.pointer
        let n = args.gradOutput.count
        let ga = args.gradInputs[0], gb = args.gradInputs[1]
        let outShape = args.gradOutput.shape
        if !args.rule.lrp {
            let handled: Bool
            switch kind {
            case .add: handled = backward(BinaryAdd.self, args, context)
            case .sub: handled = backward(BinarySub.self, args, context)
            case .mul: handled = backward(BinaryMul.self, args, context)
            case .div: handled = backward(BinaryDiv.self, args, context)
            case .pow, .mod, .fmod: handled = false
            }
            if handled { return }
        }
        let mapA = self.mapA ?? (a.shape == outShape ? nil : IndexMaps.broadcast(a.shape, to: outShape))
        let mapB = self.mapB ?? (b.shape == outShape ? nil : IndexMaps.broadcast(b.shape, to: outShape))
        @inline(__always) func ia(_ i: Int) -> Int { mapA?[i] ?? i }
        @inline(__always) func ib(_ i: Int) -> Int { mapB?[i] ?? i }

        if args.rule.lrp {
            let eps = args.rule.stabilizer
            switch kind {
            case .add, .sub:
                let sign: Float = kind == .add ? 1 : -1
                for i in 0..<n {
                    let ca = a[ia(i)], cb = sign * b[ib(i)]
                    let z = ca + cb
                    let s = g[i] / (z + (z >= 0 ? eps : -eps))
                    ga?.pointer[ia(i)] += ca * s
                    gb?.pointer[ib(i)] += cb * s
                }
            case .mul, .div:
                let toA: Float, toB: Float
                if ga == nil || gb == nil { (toA, toB) = (1, 1) }
                else if args.rule.detached == [false, true] { (toA, toB) = (1, 0) }
                else if args.rule.detached == [true, false] { (toA, toB) = (0, 1) }
                else if a.shape == outShape && b.shape != outShape { (toA, toB) = (1, 0) }
                else if b.shape == outShape && a.shape != outShape { (toA, toB) = (0, 1) }
                else { (toA, toB) = (0.5, 0.5) }
                for i in 0..<n {
                    ga?.pointer[ia(i)] += toA * g[i]
                    gb?.pointer[ib(i)] += toB * g[i]
                }
            case .pow, .mod, .fmod:
                // Element-wise maps of the base (the exponent or divisor is a parameter): passed
                // through to the base (or to the other side when the base is a
                // constant), as the unary element-wise ops pass relevance.
                if let ga { for i in 0..<n { ga.pointer[ia(i)] += g[i] } }
                else if let gb { for i in 0..<n { gb.pointer[ib(i)] += g[i] } }
            }
            return
        }

        if mapA == nil && mapB == nil {
            // Equal shapes (Add, Sub, Mul and Div took `backward(_:_:_:)` above).
            for i in 0..<n {
                let (da, db) = partials(a[i], b[i])
                ga?.pointer[i] += g[i] * da
                gb?.pointer[i] += g[i] * db
            }
            return
        }
        for i in 0..<n {
            let x = a[ia(i)], y = b[ib(i)]
            switch kind {
            case .add:
                ga?.pointer[ia(i)] += g[i]
                gb?.pointer[ib(i)] += g[i]
            case .sub:
                ga?.pointer[ia(i)] += g[i]
                gb?.pointer[ib(i)] -= g[i]
            case .mul:
                ga?.pointer[ia(i)] += g[i] * y
                gb?.pointer[ib(i)] += g[i] * x
            case .div:
                ga?.pointer[ia(i)] += g[i] / y
                gb?.pointer[ib(i)] -= g[i] * x / (y * y)
            case .pow, .mod, .fmod:
                let (da, db) = partials(x, y)
                ga?.pointer[ia(i)] += g[i] * da
                gb?.pointer[ib(i)] += g[i] * db
            }
        }
    }

    /// Add, Sub, Mul and Div under the chain rule write an operand's gradient whole when both
    /// operands have the output's shape (the per-element path of `backward(_:_:_:)`).
    public func writesFreshGradient(input index: Int, rule: NodeRule, inputs: [[Int]], output: [Int]) -> Bool {
        guard !rule.lrp, [.add, .sub, .mul, .div].contains(kind) else { return false }
        return inputs.count == 2 && inputs[0] == output && inputs[1] == output
    }

    /// The chain rule of Add, Sub, Mul and Div when one operand has the output's shape and the
    /// other the same, a single value, or the output's trailing dimensions (a bias over tokens);
    /// false for other patterns. The full-shaped side's gradient is split over threads; a
    /// broadcast side's is summed in element order, as the general loop sums it, so results
    /// do not depend on the thread count.
    private func backward<K: BinaryKernel>(_: K.Type, _ args: BackwardArguments, _ context: ExecutionContext) -> Bool {
        let a = args.inputs[0], b = args.inputs[1], out = args.gradOutput.shape
        let aFull = a.shape == out, bFull = b.shape == out
        guard aFull || bFull else { return false }
        let small = aFull ? b : a
        let period: Int
        if aFull && bFull { period = args.gradOutput.count }
        else if small.count == 1 { period = 1 }
        else if let p = Binary.trailing(small.shape, of: out) { period = p }
        else { return false }
        let g = args.gradOutput.pointer, pa = a.pointer, pb = b.pointer, n = args.gradOutput.count
        let chunks = n > 1 << 15 ? context.threads : 1
        // Index of a's and b's element for output element i.
        @inline(__always) func ia(_ i: Int) -> Int { aFull ? i : (period == 1 ? 0 : i % period) }
        @inline(__always) func ib(_ i: Int) -> Int { bFull ? i : (period == 1 ? 0 : i % period) }
        let (freshA, freshB) = (args.isFresh(0), args.isFresh(1))
        if let ga = args.gradInputs[0]?.pointer {
            if aFull {
                context.parallel(chunks) { c, _ in
                    let range = (n * c / chunks)..<(n * (c + 1) / chunks)
                    if freshA { for i in range { ga[i] = K.da(g[i], pa[i], pb[ib(i)]) } }
                    else { for i in range { ga[i] += K.da(g[i], pa[i], pb[ib(i)]) } }
                }
            } else if period == 1 {
                for i in 0..<n { ga[0] += K.da(g[i], pa[0], pb[i]) }
            } else {
                for r in 0..<(n / period) { for j in 0..<period { let i = r * period + j; ga[j] += K.da(g[i], pa[j], pb[i]) } }
            }
        }
        if let gb = args.gradInputs[1]?.pointer {
            if bFull {
                context.parallel(chunks) { c, _ in
                    let range = (n * c / chunks)..<(n * (c + 1) / chunks)
                    if freshB { for i in range { gb[i] = K.db(g[i], pa[ia(i)], pb[i]) } }
                    else { for i in range { gb[i] += K.db(g[i], pa[ia(i)], pb[i]) } }
                }
            } else if period == 1 {
                for i in 0..<n { gb[0] += K.db(g[i], pa[i], pb[0]) }
            } else {
                for r in 0..<(n / period) { for j in 0..<period { let i = r * period + j; gb[j] += K.db(g[i], pa[i], pb[j]) } }
            }
        }
        return true
    }

    /// ∂/∂a and ∂/∂b of Pow and Mod at (a, b), as PyTorch's autograd defines them: Pow's
    /// exponent derivative aᵇ·ln a is 0 where a = 0 and b ≥ 0 (NaN for a negative base);
    /// the remainder a − b·⌊a/b⌋ (or trunc, fmod) has derivatives 1 and −⌊a/b⌋.
    @inline(__always) func partials(_ a: Float, _ b: Float) -> (Float, Float) {
        switch kind {
        case .pow:
            let da = b == 0 ? 0 : b * Foundation.pow(a, b - 1)
            let db: Float = a == 0 && b >= 0 ? 0 : Foundation.pow(a, b) * Foundation.log(a)
            return (da, db)
        case .mod: return (1, -(a / b).rounded(.down))
        case .fmod: return (1, -(a / b).rounded(.towardZero))
        default: return (0, 0)
        }
    }
}
