import Foundation

/// Add, Sub, Mul, Div, and Pow and Mod on run-time values, with NumPy broadcasting (ONNX opset ≥ 7).
/// Mod is the remainder with the divisor's sign (Python's %, ONNX `fmod=0`) or with the
/// dividend's (C's fmod, `fmod=1`).
///
/// Fast paths: equal shapes; one side a single value; one side per channel ([C, 1, 1] or
/// [1, C, 1, 1] against [N, C, H, W]), as in squeeze-excite and normalization. Other patterns
/// read through broadcast index maps computed at plan time.
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
        let a = inputs[0], b = inputs[1], y = output.pointer
        let n = output.count
        if let mapA, let mapB {
            for i in 0..<n { y[i] = op(a[mapA[i]], b[mapB[i]]) }
            return
        }
        if a.shape == output.shape && b.shape == output.shape {
            switch kind {
            case .add: for i in 0..<n { y[i] = a[i] + b[i] }
            case .sub: for i in 0..<n { y[i] = a[i] - b[i] }
            case .mul: for i in 0..<n { y[i] = a[i] * b[i] }
            case .div: for i in 0..<n { y[i] = a[i] / b[i] }
            case .pow, .mod, .fmod: for i in 0..<n { y[i] = op(a[i], b[i]) }
            }
            return
        }
        let aFull = a.shape == output.shape
        let full = aFull ? a : b, small = aFull ? b : a
        if small.count == 1 {
            let s = small[0]
            for i in 0..<n { y[i] = aFull ? op(full[i], s) : op(s, full[i]) }
            return
        }
        let plane = Binary.perChannel(small.shape, of: output.shape)!
        let c = output.shape[1]
        for p in 0..<(n / plane) {
            let s = small[p % c]
            let base = p * plane
            for i in base..<(base + plane) { y[i] = aFull ? op(full[i], s) : op(s, full[i]) }
        }
    }
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
            // Equal shapes: plain vector loops.
            switch kind {
            case .add:
                if let ga { for i in 0..<n { ga.pointer[i] += g[i] } }
                if let gb { for i in 0..<n { gb.pointer[i] += g[i] } }
            case .sub:
                if let ga { for i in 0..<n { ga.pointer[i] += g[i] } }
                if let gb { for i in 0..<n { gb.pointer[i] -= g[i] } }
            case .mul:
                if let ga { for i in 0..<n { ga.pointer[i] += g[i] * b[i] } }
                if let gb { for i in 0..<n { gb.pointer[i] += g[i] * a[i] } }
            case .div:
                if let ga { for i in 0..<n { ga.pointer[i] += g[i] / b[i] } }
                if let gb { for i in 0..<n { let q = b[i]; gb.pointer[i] -= g[i] * a[i] / (q * q) } }
            case .pow, .mod, .fmod:
                for i in 0..<n {
                    let (da, db) = partials(a[i], b[i])
                    ga?.pointer[i] += g[i] * da
                    gb?.pointer[i] += g[i] * db
                }
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
