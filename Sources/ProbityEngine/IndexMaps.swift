import ProbityCore

/// Structural ops (Transpose, Slice, Pad, Concat, Gather, Expand) move elements without
/// arithmetic. For fixed shapes each is an index map: output element `i` reads input element
/// `map[i]` (or a constant where `map[i] < 0`). Maps are computed once at plan time; forward
/// gathers through them and backward scatters through them. The ONNX importer uses the same
/// maps to fold int64 shape subgraphs.
public enum IndexMaps {
    static func strides(_ shape: [Int]) -> [Int] { Tensor.strides(for: shape) }

    /// Calls `body(outIndex, multiIndex)` for each element of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: (Int, [Int]) -> Void) {
        let n = shape.reduce(1, *)
        if n == 0 { return }
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            body(i, index)
            var a = shape.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
    }

    public static func normalizeAxis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < Swift.max(rank, 1) else { throw ProbityError.invalidArgument("axis \(axis) out of range for rank \(rank)") }
        return a
    }

    /// Transpose with `perm` (output axis i is input axis perm[i]). With `map: false` only the
    /// shape is computed (the map comes back empty): shape inference needs no per-element map.
    public static func transpose(_ shape: [Int], perm: [Int], map mapped: Bool = true) -> (shape: [Int], map: [Int]) {
        let outShape = perm.map { shape[$0] }
        if !mapped { return (outShape, []) }
        let s = strides(shape)
        var map = [Int](repeating: 0, count: outShape.reduce(1, *))
        forEachIndex(outShape) { i, idx in
            var src = 0
            for a in 0..<perm.count { src += idx[a] * s[perm[a]] }
            map[i] = src
        }
        return (outShape, map)
    }

    /// ONNX Slice (opset 10+ semantics): starts/ends clamped, negative steps allowed.
    /// `map: false`: the shape only, as for `transpose`.
    public static func slice(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int], steps: [Int], map mapped: Bool = true) throws -> (shape: [Int], map: [Int]) {
        var begin = [Int](repeating: 0, count: shape.count)
        var step = [Int](repeating: 1, count: shape.count)
        var outShape = shape
        for (k, axisRaw) in axes.enumerated() {
            let axis = try normalizeAxis(axisRaw, rank: shape.count)
            let dim = shape[axis]
            let st = steps[k]
            guard st != 0 else { throw ProbityError.invalidArgument("Slice: step 0") }
            var s = starts[k], e = ends[k]
            if s < 0 { s += dim }
            if e < 0 { e += dim }
            if st > 0 {
                s = Swift.min(Swift.max(s, 0), dim)
                e = Swift.min(Swift.max(e, 0), dim)
                outShape[axis] = e > s ? (e - s + st - 1) / st : 0
            } else {
                s = Swift.min(Swift.max(s, -1), dim - 1)
                e = Swift.min(Swift.max(e, -1), dim - 1)
                outShape[axis] = s > e ? (s - e + (-st) - 1) / (-st) : 0
            }
            begin[axis] = s
            step[axis] = st
        }
        if !mapped { return (outShape, []) }
        let s = strides(shape)
        var map = [Int](repeating: 0, count: outShape.reduce(1, *))
        forEachIndex(outShape) { i, idx in
            var src = 0
            for a in 0..<shape.count { src += (begin[a] + idx[a] * step[a]) * s[a] }
            map[i] = src
        }
        return (outShape, map)
    }

    public enum PadMode: String, Sendable { case constant, reflect, edge }

    /// ONNX Pad: `pads` = [begin_0, …, begin_{r-1}, end_0, …]; negative pads crop.
    /// Constant cells map to -1. `map: false`: the shape only, as for `transpose` (at batch 32 a
    /// Pad of EfficientNet-Lite0 maps 13 million elements, which shape inference used to build
    /// and throw away for each of its 17 Pads whenever a plan was made).
    public static func pad(_ shape: [Int], pads: [Int], mode: PadMode, map mapped: Bool = true) throws -> (shape: [Int], map: [Int]) {
        let r = shape.count
        guard pads.count == 2 * r else { throw ProbityError.invalidArgument("Pad: \(pads.count) pads for rank \(r)") }
        let outShape = (0..<r).map { shape[$0] + pads[$0] + pads[$0 + r] }
        guard outShape.allSatisfy({ $0 >= 0 }) else { throw ProbityError.invalidArgument("Pad: negative output shape \(outShape)") }
        if mode == .reflect {
            for a in 0..<r where shape[a] > 1 && Swift.max(pads[a], pads[a + r]) > shape[a] - 1 {
                throw ProbityError.invalidArgument("Pad: reflect padding \(pads[a]),\(pads[a + r]) too large for extent \(shape[a])")
            }
        }
        if !mapped { return (outShape, []) }
        let s = strides(shape)
        var map = [Int](repeating: 0, count: outShape.reduce(1, *))
        forEachIndex(outShape) { i, idx in
            var src = 0
            for a in 0..<r {
                var j = idx[a] - pads[a]
                let n = shape[a]
                if j < 0 || j >= n {
                    switch mode {
                    case .constant: src = -1
                    case .edge: j = j < 0 ? 0 : n - 1
                    case .reflect:
                        if n == 1 { j = 0 } else {
                            let period = 2 * n - 2
                            j = ((j % period) + period) % period
                            if j >= n { j = period - j }
                        }
                    }
                }
                if src < 0 { break }
                src += j * s[a]
            }
            map[i] = src
        }
        return (outShape, map)
    }

    /// ONNX Gather along `axis` with `indices` (negative indices count from the end).
    /// `map: false`: the shape only (indices still checked), as for `transpose`.
    public static func gather(_ shape: [Int], axis axisRaw: Int, indices: [Int], indicesShape: [Int], map mapped: Bool = true) throws -> (shape: [Int], map: [Int]) {
        let axis = try normalizeAxis(axisRaw, rank: shape.count)
        let dim = shape[axis]
        let outShape = Array(shape[..<axis]) + indicesShape + Array(shape[(axis + 1)...])
        let rows = try indices.map { raw in
            let k = raw < 0 ? raw + dim : raw
            guard k >= 0 && k < dim else { throw ProbityError.invalidArgument("Gather: index \(raw) out of range for extent \(dim)") }
            return k
        }
        if !mapped { return (outShape, []) }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var map: [Int] = []
        map.reserveCapacity(outShape.reduce(1, *))
        for o in 0..<outer {
            for k in rows {
                for i in 0..<inner { map.append((o * dim + k) * inner + i) }
            }
        }
        return (outShape, map)
    }

    /// NumPy broadcasting of two shapes.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = Swift.max(a.count, b.count)
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        return try (0..<r).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw ProbityError.invalidArgument("shapes \(a) and \(b) do not broadcast")
        }
    }

    /// For each element of `outShape`, the index it reads in a tensor of `shape` broadcast to it.
    public static func broadcast(_ shape: [Int], to outShape: [Int]) -> [Int] {
        let r = outShape.count
        let padded = [Int](repeating: 1, count: r - shape.count) + shape
        let s = strides(padded)
        var map = [Int](repeating: 0, count: outShape.reduce(1, *))
        forEachIndex(outShape) { i, idx in
            var src = 0
            for a in 0..<r where padded[a] != 1 { src += idx[a] * s[a] }
            map[i] = src
        }
        return map
    }

    /// Applies a map to a flat array; negative entries take `fill`.
    public static func apply<T>(_ map: [Int], to data: [T], fill: T) -> [T] {
        map.map { $0 >= 0 ? data[$0] : fill }
    }
}
