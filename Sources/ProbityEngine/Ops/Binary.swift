/// Add, Sub, Mul, Div with NumPy broadcasting (ONNX opset ≥ 7).
///
/// Fast paths: equal shapes; one side a single value; one side per channel ([C, 1, 1] or
/// [1, C, 1, 1] against [N, C, H, W]), as in squeeze-excite and normalization. Other patterns
/// read through broadcast index maps computed at plan time.
public struct Binary: Operator {
    public enum Kind: String, Sendable { case add = "Add", sub = "Sub", mul = "Mul", div = "Div" }
    public var kind: Kind
    public var type: String { kind.rawValue }
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

    @inline(__always) func op(_ a: Float, _ b: Float) -> Float {
        switch kind { case .add: return a + b; case .sub: return a - b; case .mul: return a * b; case .div: return a / b }
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
