import Foundation

/// The ONNX reductions over chosen axes (all axes when none are given), keeping them as 1 or
/// not: ReduceMean, ReduceSum, ReduceMax (what `torch.amax` exports), ReduceMin, ReduceL1,
/// ReduceL2 (`torch.linalg.vector_norm`, `F.normalize`) and ReduceSumSquare.
///
/// Backward is the chain rule; max and min send the gradient to the first extreme element of
/// each group (as PyTorch's `amax` backward splits it evenly among ties, the two differ only on
/// exact ties); L1's gradient at 0 is 0, L2's at an all-zero group is 0.
///
/// Under LRP rules the sum-like reductions (mean, sum) split relevance in proportion to each
/// element's share of the sum (the z-rule, ε-stabilized); max and min give it all to the
/// winner, as max-pooling does; L1, L2 and the sum of squares in proportion to each element's
/// share |x|, x² of the (squared) norm, so what enters a group leaves it whole.
public struct Reduce: Operator {
    public enum Kind: String, Sendable {
        case mean = "ReduceMean", sum = "ReduceSum", max = "ReduceMax", min = "ReduceMin"
        case l1 = "ReduceL1", l2 = "ReduceL2", sumSquare = "ReduceSumSquare"
    }
    public var kind: Kind
    public var axes: [Int]
    public var keepDims: Bool
    public var type: String { kind.rawValue }
    public init(_ kind: Kind, axes: [Int], keepDims: Bool) { self.kind = kind; self.axes = axes; self.keepDims = keepDims }

    func reduced(_ shape: [Int]) throws -> Set<Int> {
        if axes.isEmpty { return Set(0..<shape.count) }
        let r = try axes.map { try IndexMaps.normalizeAxis($0, rank: shape.count) }
        guard Set(r).count == r.count else { throw shapeError(type, "axis repeated in \(axes)") }
        return Set(r)
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        let r = try reduced(inputs[0])
        if kind == .max || kind == .min, r.contains(where: { inputs[0][$0] == 0 }) {
            throw shapeError(type, "reduces an empty axis of \(inputs[0]) (no maximum or minimum)")
        }
        var out: [Int] = []
        for (a, d) in inputs[0].enumerated() {
            if r.contains(a) { if keepDims { out.append(1) } } else { out.append(d) }
        }
        return out
    }

    /// input element → output element, and the number of elements per output.
    func groups(_ shape: [Int]) -> (map: [Int], count: Int)? {
        guard let r = try? reduced(shape) else { return nil }
        let kept = shape.enumerated().map { r.contains($0.offset) ? 1 : $0.element }
        return (IndexMaps.broadcast(kept, to: shape), r.reduce(1) { $0 * shape[$1] })
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        guard let (map, count) = groups(inputs[0].shape) else { return }
        let x = inputs[0].pointer, y = output.pointer, n = output.count
        switch kind {
        case .max, .min:
            var seen = [Bool](repeating: false, count: n)
            for i in 0..<map.count {
                let o = map[i], v = x[i]
                if !seen[o] { y[o] = v; seen[o] = true; continue }
                // NaN propagates, as in ONNX Runtime and PyTorch.
                if v.isNaN || (kind == .max ? v > y[o] : v < y[o]) { if !y[o].isNaN { y[o] = v } }
            }
        case .mean, .sum, .l1, .l2, .sumSquare:
            y.update(repeating: 0, count: n)
            switch kind {
            case .l1: for i in 0..<map.count { y[map[i]] += abs(x[i]) }
            case .l2, .sumSquare: for i in 0..<map.count { y[map[i]] += x[i] * x[i] }
            default: for i in 0..<map.count { y[map[i]] += x[i] }
            }
            if kind == .mean { let s = 1 / Float(count); for o in 0..<n { y[o] *= s } }
            if kind == .l2 { for o in 0..<n { y[o] = y[o].squareRoot() } }
        }
    }

    /// For max/min: the first input element of each group that holds the output's value.
    func winners(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ map: [Int], outputs: Int) -> [Int] {
        var w = [Int](repeating: -1, count: outputs)
        for i in 0..<map.count where w[map[i]] < 0 && (x[i] == y[map[i]] || (x[i].isNaN && y[map[i]].isNaN)) { w[map[i]] = i }
        return w
    }

    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0], let (map, count) = groups(args.inputs[0].shape) else { return }
        let g = args.gradOutput.pointer, x = args.inputs[0].pointer, y = args.output.pointer, d = dx.pointer
        if kind == .max || kind == .min {
            for (o, i) in winners(x, y, map, outputs: args.output.count).enumerated() where i >= 0 { d[i] += g[o] }
            return
        }
        if args.rule.lrp {
            // Each element's share of the group's total: x (mean, sum), |x| (L1), x² (L2, sum of squares).
            let eps = args.rule.stabilizer
            for i in 0..<map.count {
                let o = map[i]
                let (part, total): (Float, Float)
                switch kind {
                case .mean: (part, total) = (x[i], y[o] * Float(count))
                case .sum: (part, total) = (x[i], y[o])
                case .l1: (part, total) = (abs(x[i]), y[o])
                case .l2: (part, total) = (x[i] * x[i], y[o] * y[o])
                default: (part, total) = (x[i] * x[i], y[o])
                }
                d[i] += part * g[o] / (total + (total >= 0 ? eps : -eps))
            }
            return
        }
        for i in 0..<map.count {
            let o = map[i]
            switch kind {
            case .mean: d[i] += g[o] / Float(count)
            case .sum: d[i] += g[o]
            case .l1: d[i] += x[i] > 0 ? g[o] : (x[i] < 0 ? -g[o] : 0)
            case .l2: if y[o] > 0 { d[i] += g[o] * x[i] / y[o] }
            case .sumSquare: d[i] += 2 * x[i] * g[o]
            case .max, .min: break
            }
        }
    }
}
