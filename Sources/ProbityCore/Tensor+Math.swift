import Foundation

/// Element-wise arithmetic and reductions. Binary operators require equal shapes
/// (broadcasting is the engine's job, where it is planned once per graph).
extension Tensor {
    @inlinable public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, storage: storage.map(transform))
    }

    @inlinable public func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shape mismatch \(shape) vs \(other.shape)")
        var out = storage
        other.storage.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count { o[i] = combine(o[i], b[i]) }
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, +) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, -) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, *) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b, /) }
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// Sum of all elements, accumulated in Double so large tensors stay accurate.
    public func sum() -> Float {
        var total = 0.0
        for v in storage { total += Double(v) }
        return Float(total)
    }

    public func mean() -> Float { count == 0 ? .nan : Float(storage.reduce(0.0) { $0 + Double($1) } / Double(count)) }
    public func max() -> Float { storage.max() ?? -.infinity }
    public func min() -> Float { storage.min() ?? .infinity }

    /// Index of the largest element of each row of a [N, K] tensor (first one on ties).
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "argmaxRows needs [N, K], got \(shape)")
        let k = shape[1]
        return (0..<shape[0]).map { row in
            var best = 0
            var bestValue = -Float.infinity
            for j in 0..<k where storage[row * k + j] > bestValue {
                bestValue = storage[row * k + j]
                best = j
            }
            return best
        }
    }

    /// Softmax over the last axis, computed stably (max subtracted), in Double.
    public func softmaxLastAxis() -> Tensor {
        precondition(rank >= 1)
        let k = shape[rank - 1]
        var out = storage
        guard k > 0 else { return self }
        for row in 0..<(count / k) {
            let base = row * k
            var m = -Float.infinity
            for j in 0..<k { m = Swift.max(m, storage[base + j]) }
            var total = 0.0
            for j in 0..<k { total += Foundation.exp(Double(storage[base + j] - m)) }
            for j in 0..<k { out[base + j] = Float(Foundation.exp(Double(storage[base + j] - m)) / total) }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// Largest absolute difference to `other` (same shape).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shape mismatch \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(storage[i] - other.storage[i])) }
        return m
    }

    /// Swaps two axes (a general permutation is `permuted(_:)`).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "bad permutation \(order) for rank \(rank)")
        let newShape = order.map { shape[$0] }
        let inStrides = strides
        let permutedStrides = order.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var src = 0
            for a in 0..<rank { src += index[a] * permutedStrides[a] }
            out[o] = storage[src]
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < newShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return Tensor(shape: newShape, storage: out)
    }
}
