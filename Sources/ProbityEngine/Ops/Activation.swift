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

    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let n = dx.count
        let x = args.inputs[0].pointer, y = args.output.pointer, g = args.gradOutput.pointer
        let rule = args.rule
        if rule.lrp {
            for i in 0..<n { dx.pointer[i] += g[i] }   // relevance passes activations (Zennit's Pass)
            return
        }
        if rule.activation == .deconvnet && kind.isReLULike {
            for i in 0..<n { dx.pointer[i] += Swift.max(g[i], 0) }
            return
        }
        let guided = rule.activation == .guided && kind.isReLULike
        let chunks = n > 1 << 16 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if guided {
                // Guided backprop clamps this op's own gradient, then adds it.
                let local = UnsafeMutablePointer<Float>.allocate(capacity: hi - lo)
                defer { local.deallocate() }
                local.initialize(repeating: 0, count: hi - lo)
                Activation.addGradient(kind, x: x + lo, y: y + lo, gradOutput: g + lo, into: local, count: hi - lo)
                for i in 0..<(hi - lo) { dx.pointer[lo + i] += Swift.max(local[i], 0) }
            } else {
                Activation.addGradient(kind, x: x + lo, y: y + lo, gradOutput: g + lo, into: dx.pointer + lo, count: hi - lo)
            }
        }
    }

    /// dx += dy · f′(x).
    static func addGradient(_ kind: Kind, x: UnsafePointer<Float>, y: UnsafePointer<Float>, gradOutput g: UnsafePointer<Float>,
                            into dx: UnsafeMutablePointer<Float>, count n: Int) {
        switch kind {
        case .identity:
            for i in 0..<n { dx[i] += g[i] }
        case .relu:
            for i in 0..<n { dx[i] += x[i] > 0 ? g[i] : 0 }
        case .leakyRelu(let alpha):
            for i in 0..<n { dx[i] += x[i] > 0 ? g[i] : alpha * g[i] }
        case .clip(let lo, let hi):
            for i in 0..<n { dx[i] += (x[i] > lo && x[i] < hi) ? g[i] : 0 }
        case .sigmoid:
            for i in 0..<n { dx[i] += g[i] * y[i] * (1 - y[i]) }
        case .tanh:
            for i in 0..<n { dx[i] += g[i] * (1 - y[i] * y[i]) }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<n { let v = alpha * x[i] + beta; dx[i] += (v > 0 && v < 1) ? alpha * g[i] : 0 }
        case .hardSwish:
            // PyTorch: 0 below −3, 1 above 3, x/3 + 1/2 between.
            for i in 0..<n { let v = x[i]; dx[i] += g[i] * (v < -3 ? 0 : (v > 3 ? 1 : v / 3 + 0.5)) }
        }
    }
}

extension Activation.Kind {
    /// Relu, LeakyRelu and Clip: the ops guided backprop and deconvnet modify.
    public var isReLULike: Bool {
        switch self { case .relu, .leakyRelu, .clip: return true; default: return false }
    }

    /// True when f′ can be computed from the output alone, so the activation can stay fused
    /// into its producer in plans that run backward.
    public var derivativeFromOutput: Bool {
        switch self {
        case .identity, .relu, .clip, .sigmoid, .tanh, .hardSigmoid: return true
        case .leakyRelu(let alpha): return alpha > 0
        case .hardSwish: return false
        }
    }

    /// g ← g · f′ where f′ is computed from the output `y` (exact for the kinds where
    /// `derivativeFromOutput` holds), with the activation part of `rule` applied.
    public func applyDerivative(output y: UnsafePointer<Float>, to g: UnsafeMutablePointer<Float>, count n: Int, rule: NodeRule,
                                _ context: ExecutionContext) {
        if rule.lrp { return }
        let chunks = n > 1 << 16 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            applyDerivative(output: y + lo, to: g + lo, count: hi - lo, rule: rule)
        }
    }

    func applyDerivative(output y: UnsafePointer<Float>, to g: UnsafeMutablePointer<Float>, count n: Int, rule: NodeRule) {
        if rule.activation == .deconvnet && isReLULike {
            for i in 0..<n { g[i] = Swift.max(g[i], 0) }
            return
        }
        switch self {
        case .identity: break
        case .relu: for i in 0..<n { g[i] = y[i] > 0 ? g[i] : 0 }
        case .leakyRelu(let alpha): for i in 0..<n { g[i] = y[i] > 0 ? g[i] : alpha * g[i] }
        case .clip(let lo, let hi):
            // Two selects and a product vectorize; a short-circuit `&&` does not.
            for i in 0..<n { let v = y[i]; g[i] *= (v > lo ? 1 : 0) * (v < hi ? 1 : 0) as Float }
        case .sigmoid: for i in 0..<n { g[i] *= y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<n { g[i] *= 1 - y[i] * y[i] }
        case .hardSigmoid(let alpha, _): for i in 0..<n { let v = y[i]; g[i] *= alpha * (v > 0 ? 1 : 0) * (v < 1 ? 1 : 0) as Float }
        case .hardSwish: preconditionFailure("HardSwish cannot be differentiated from its output; the planner keeps it unfused for backward")
        }
        if rule.activation == .guided && isReLULike {
            for i in 0..<n { g[i] = Swift.max(g[i], 0) }
        }
    }
}
