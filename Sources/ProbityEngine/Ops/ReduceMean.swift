/// ReduceMean over chosen axes (all axes when none are given), keeping them as 1 or not.
public struct ReduceMean: Operator {
    public var axes: [Int]
    public var keepDims: Bool
    public var type: String { "ReduceMean" }
    public init(axes: [Int], keepDims: Bool) { self.axes = axes; self.keepDims = keepDims }

    func reduced(_ shape: [Int]) throws -> Set<Int> {
        if axes.isEmpty { return Set(0..<shape.count) }
        return Set(try axes.map { try IndexMaps.normalizeAxis($0, rank: shape.count) })
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        let r = try reduced(inputs[0])
        var out: [Int] = []
        for (a, d) in inputs[0].enumerated() {
            if r.contains(a) { if keepDims { out.append(1) } } else { out.append(d) }
        }
        return out
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let shape = inputs[0].shape
        guard let r = try? reduced(shape) else { return }
        let kept = shape.enumerated().map { r.contains($0.offset) ? 1 : $0.element }
        let map = IndexMaps.broadcast(kept, to: shape)   // input element → output element
        let y = output.pointer
        y.update(repeating: 0, count: output.count)
        var count = 1
        for a in r { count *= shape[a] }
        for i in 0..<map.count { y[map[i]] += inputs[0].pointer[i] }
        let scale = 1 / Float(count)
        for i in 0..<output.count { y[i] *= scale }
    }
}

extension ReduceMean {
    /// Each input element receives its mean's gradient over the count (z-rule share in LRP mode).
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let shape = args.inputs[0].shape
        guard let r = try? reduced(shape) else { return }
        let kept = shape.enumerated().map { r.contains($0.offset) ? 1 : $0.element }
        let map = IndexMaps.broadcast(kept, to: shape)
        let g = args.gradOutput.pointer, x = args.inputs[0].pointer
        if args.rule.lrp {
            // ratio x_i / Σ x over the reduced group; the output is the mean, so Σ = mean · count.
            var count = 1
            for a in r { count *= shape[a] }
            let eps = args.rule.stabilizer
            for i in 0..<map.count {
                let sum = args.output[map[i]] * Float(count)
                dx.pointer[i] += x[i] * g[map[i]] / (sum + (sum >= 0 ? eps : -eps))
            }
            return
        }
        var count = 1
        for a in r { count *= shape[a] }
        let scale = 1 / Float(count)
        for i in 0..<map.count { dx.pointer[i] += g[map[i]] * scale }
    }
}
