/// A dense, contiguous, row-major array of `Float` with a shape.
///
/// Images are NCHW. `Tensor` is a value type backed by `[Float]`, so copies are cheap until
/// one side writes (copy-on-write). Kernels that need raw speed take
/// `withUnsafeBufferPointer`/`withUnsafeMutableBufferPointer` and work on the storage directly.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `storage` (row-major); the counts must agree.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A 0-d tensor.
    public init(scalar: Float) {
        self.init(shape: [], storage: [scalar])
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.strides(for: shape) }

    public static func strides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// The element at a full multi-index.
    public subscript(_ index: Int...) -> Float {
        get { storage[offset(index)] }
        set { storage[offset(index)] = newValue }
    }

    @usableFromInline func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var offset = 0
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            precondition(index[axis] >= 0 && index[axis] < shape[axis], "index \(index) out of \(shape)")
            offset += index[axis] * step
            step *= shape[axis]
        }
        return offset
    }

    /// The same elements with another shape of equal count. One extent may be -1 (inferred).
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        return Tensor(shape: resolved, storage: storage)
    }

    /// Reshapes in place (same count).
    public mutating func reshape(to newShape: [Int]) {
        self = reshaped(to: newShape)
    }
}

// MARK: - Batch axis

extension Tensor {
    /// The size of one item along the first axis (elements per sample).
    public var itemCount: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// Items `range` of the first axis, as a new tensor. O(range.count × itemCount).
    public func slice(batch range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "batch range \(range) out of \(shape)")
        var newShape = shape
        newShape[0] = range.count
        let n = itemCount
        return Tensor(shape: newShape, storage: Array(storage[(range.lowerBound * n)..<(range.upperBound * n)]))
    }

    /// Item `index` of the first axis, keeping the axis (shape [1, ...]).
    public func item(_ index: Int) -> Tensor { slice(batch: index..<(index + 1)) }

    /// Joins tensors along the first axis; their other extents must agree.
    public static func concatenate(batch parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let tail = Array(parts[0].shape.dropFirst())
        var storage: [Float] = []
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var n = 0
        for part in parts {
            precondition(Array(part.shape.dropFirst()) == tail, "cannot stack \(part.shape) onto [_, \(tail)]")
            storage.append(contentsOf: part.storage)
            n += part.shape[0]
        }
        return Tensor(shape: [n] + tail, storage: storage)
    }

    /// Writes `part` into items starting at `start` of the first axis.
    public mutating func replace(batch start: Int, with part: Tensor) {
        precondition(Array(part.shape.dropFirst()) == Array(shape.dropFirst()) && start + part.shape[0] <= shape[0],
                     "cannot place \(part.shape) at \(start) in \(shape)")
        let n = itemCount
        storage.replaceSubrange((start * n)..<((start + part.shape[0]) * n), with: part.storage)
    }
}
