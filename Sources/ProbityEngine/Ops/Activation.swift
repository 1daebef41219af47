import Foundation

/// Element-wise activations: Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish,
/// Identity (and Dropout at inference). The planner also fuses them into a preceding Conv or
/// Gemm as an epilogue, so `apply` works on a raw range.
public struct Activation: Operator, Equatable {
    public enum Kind: Sendable, Equatable {
        case identity
        case relu
        case leakyRelu(alpha: Float)
        /// Clip(min, max); ReLU6 is clip(0, 6).
        case clip(min: Float, max: Float)
        case sigmoid
        case tanh
        /// max(0, min(1, alpha·x + beta)); ONNX defaults alpha 0.2, beta 0.5.
        case hardSigmoid(alpha: Float, beta: Float)
        /// x · max(0, min(1, x/6 + 1/2)).
        case hardSwish
    }

    public var kind: Kind
    public var type: String {
        switch kind {
        case .identity: return "Identity"
        case .relu: return "Relu"
        case .leakyRelu: return "LeakyRelu"
        case .clip: return "Clip"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .hardSigmoid: return "HardSigmoid"
        case .hardSwish: return "HardSwish"
        }
    }

    public init(_ kind: Kind) { self.kind = kind }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        return inputs[0]
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let n = output.count
        let chunks = n > 1 << 16 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            Activation.apply(kind, from: inputs[0].pointer + lo, to: output.pointer + lo, count: hi - lo)
        }
    }

    /// Applies `kind` to `count` elements (in place when `from == to`).
    @inlinable
    public static func apply(_ kind: Kind, from x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count n: Int) {
        switch kind {
        case .identity:
            if UnsafePointer(y) != x { y.update(from: x, count: n) }
        case .relu:
            for i in 0..<n { y[i] = Swift.max(x[i], 0) }
        case .leakyRelu(let alpha):
            for i in 0..<n { let v = x[i]; y[i] = v >= 0 ? v : alpha * v }
        case .clip(let lo, let hi):
            for i in 0..<n { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        case .sigmoid:
            for i in 0..<n {
                let v = x[i]
                // Stable for large |v|: never exp of a large positive number.
                if v >= 0 { y[i] = 1 / (1 + Foundation.exp(-v)) } else { let e = Foundation.exp(v); y[i] = e / (1 + e) }
            }
        case .tanh:
            for i in 0..<n { y[i] = Foundation.tanh(x[i]) }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<n { y[i] = Swift.max(0, Swift.min(1, alpha * x[i] + beta)) }
        case .hardSwish:
            for i in 0..<n { let v = x[i]; y[i] = v * Swift.max(0, Swift.min(1, v / 6 + 0.5)) }
        }
    }
}
