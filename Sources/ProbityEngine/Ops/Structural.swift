/// Ops that only move elements: Transpose, Slice, Pad, Gather (constant indices), Expand —
/// each an index map computed at plan time (`IndexMaps`); Reshape, Flatten, Squeeze and
/// Unsqueeze, which keep the element order; and Concat.
public struct Rearrange: Operator {
    public enum Kind: Sendable {
        case transpose(perm: [Int])
        case slice(starts: [Int], ends: [Int], axes: [Int], steps: [Int])
        case pad(pads: [Int], mode: IndexMaps.PadMode, value: Float)
        case gather(axis: Int, indices: [Int], indicesShape: [Int])
        case expand(shape: [Int])
    }
    public var kind: Kind
    var map: [Int]? = nil

    public init(_ kind: Kind) { self.kind = kind }

    public var type: String {
        switch kind {
        case .transpose: return "Transpose"
        case .slice: return "Slice"
        case .pad: return "Pad"
        case .gather: return "Gather"
        case .expand: return "Expand"
        }
    }

    /// The output shape for input `shape` and, with `map` (the default), the index map; shape
    /// inference asks for the shape alone and gets an empty map.
    public func layout(_ shape: [Int], map mapped: Bool = true) throws -> (shape: [Int], map: [Int]) {
        switch kind {
        case .transpose(let perm):
            let p = perm.isEmpty ? Array((0..<shape.count).reversed()) : perm
            guard p.sorted() == Array(0..<shape.count) else { throw shapeError(type, "perm \(perm) for rank \(shape.count)") }
            return IndexMaps.transpose(shape, perm: p, map: mapped)
        case .slice(let starts, let ends, let axes, let steps):
            return try IndexMaps.slice(shape, starts: starts, ends: ends, axes: axes, steps: steps, map: mapped)
        case .pad(let pads, let mode, _):
            return try IndexMaps.pad(shape, pads: pads, mode: mode, map: mapped)
        case .gather(let axis, let indices, let indicesShape):
            return try IndexMaps.gather(shape, axis: axis, indices: indices, indicesShape: indicesShape, map: mapped)
        case .expand(let target):
            let out = try IndexMaps.broadcastShape(shape, target)
            return (out, mapped ? IndexMaps.broadcast(shape, to: out) : [])
        }
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one float input") }
        return try layout(inputs[0], map: false).shape
    }

    public func planned(for inputs: [[Int]]) -> any Operator {
        var copy = self
        copy.map = try? layout(inputs[0]).map
        return copy
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let map = self.map ?? (try! layout(inputs[0].shape).map)
        var fill: Float = 0
        if case .pad(_, _, let value) = kind { fill = value }
        let x = inputs[0].pointer, y = output.pointer, n = map.count
        let chunks = n > 1 << 15 ? context.threads : 1
        map.withUnsafeBufferPointer { m in
            context.parallel(chunks) { c, _ in
                for i in (n * c / chunks)..<(n * (c + 1) / chunks) { let j = m[i]; y[i] = j >= 0 ? x[j] : fill }
            }
        }
    }

    /// The index map for fixed shapes (for backward and for folding constants).
    public func indexMap(for shape: [Int]) throws -> [Int] { try map ?? layout(shape).map }
}

/// Reshape, Flatten, Squeeze, Unsqueeze: same elements, new shape (a copy).
public struct Reshape: Operator {
    public var shape: [Int]
    public var type: String
    public init(to shape: [Int], type: String = "Reshape") { self.shape = shape; self.type = type }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1, inputs[0].reduce(1, *) == shape.reduce(1, *) else {
            throw shapeError(type, "cannot reshape \(inputs.first ?? []) to \(shape)")
        }
        return shape
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        output.pointer.update(from: inputs[0].pointer, count: output.count)
    }
}

/// Concat along an axis.
public struct Concat: Operator {
    public var axis: Int
    public var type: String { "Concat" }
    public init(axis: Int) { self.axis = axis }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard let first = inputs.first else { throw shapeError(type, "no inputs") }
        let a = try IndexMaps.normalizeAxis(axis, rank: first.count)
        var out = first
        out[a] = 0
        for s in inputs {
            guard s.count == first.count, (0..<s.count).allSatisfy({ $0 == a || s[$0] == first[$0] }) else {
                throw shapeError(type, "shapes \(inputs) differ off axis \(axis)")
            }
            out[a] += s[a]
        }
        return out
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let a = (axis < 0 ? axis + output.shape.count : axis)
        let outer = output.shape[..<a].reduce(1, *)
        let rowOut = output.shape[a...].reduce(1, *)
        var offset = 0
        for x in inputs {
            let row = x.shape[a...].reduce(1, *)
            for o in 0..<outer { (output.pointer + o * rowOut + offset).update(from: x.pointer + o * row, count: row) }
            offset += row
        }
    }
}

// MARK: - Backward

extension Rearrange {
    /// Scatters the output gradient back through the index map (elements read twice, as by
    /// Expand or reflect padding, receive the sum; constant pad cells receive nothing).
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let map = self.map ?? (try! layout(args.inputs[0].shape).map)
        let g = args.gradOutput.pointer
        for i in 0..<map.count { let j = map[i]; if j >= 0 { dx.pointer[j] += g[i] } }
    }
}

extension Reshape {
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let g = args.gradOutput.pointer
        for i in 0..<dx.count { dx.pointer[i] += g[i] }
    }
}

extension Concat {
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let shape = args.gradOutput.shape
        let a = (axis < 0 ? axis + shape.count : axis)
        let outer = shape[..<a].reduce(1, *)
        let rowOut = shape[a...].reduce(1, *)
        var offset = 0
        for (k, x) in args.inputs.enumerated() {
            let row = x.shape[a...].reduce(1, *)
            if let dx = args.gradInputs[k] {
                for o in 0..<outer {
                    let src = args.gradOutput.pointer + o * rowOut + offset, dst = dx.pointer + o * row
                    for i in 0..<row { dst[i] += src[i] }
                }
            }
            offset += row
        }
    }
}
