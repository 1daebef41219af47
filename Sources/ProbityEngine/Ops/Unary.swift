import Foundation

/// Element-wise math ops that transformers and modern CNNs bring: Erf, Gelu (exact and tanh
/// forms, ONNX opset 20), Sqrt, Exp, Log, Neg, Abs, Reciprocal and Pow with a constant exponent
/// (decomposed LayerNorm's `Pow(x, 2)`). Unlike `Activation` they are never fused into a
/// producer, and their derivative is taken from the input. Under LRP rules relevance passes them
/// unchanged (Zennit's `Pass`), as it passes activations.
public struct Unary: Operator, Equatable {
    public enum Kind: Sendable, Equatable {
        case erf, sqrt, exp, log, neg, abs, reciprocal
        /// x^p for a constant p.
        case pow(Float)
        /// x·Φ(x) (exact, `approximate="none"`) or its tanh approximation.
        case gelu(tanh: Bool)
    }
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var type: String {
        switch kind {
        case .erf: return "Erf"
        case .sqrt: return "Sqrt"
        case .exp: return "Exp"
        case .log: return "Log"
        case .neg: return "Neg"
        case .abs: return "Abs"
        case .reciprocal: return "Reciprocal"
        case .pow: return "Pow"
        case .gelu: return "Gelu"
        }
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        return inputs[0]
    }

    public static let sqrtTwoOverPi: Float = 0.7978845608028654
    public static let sqrtTwo: Float = 1.4142135623730951

    /// f(x) for one element.
    @inlinable
    public static func value(_ kind: Kind, _ v: Float) -> Float {
        switch kind {
        case .erf: return Foundation.erf(v)
        case .sqrt: return v.squareRoot()
        case .exp: return Foundation.exp(v)
        case .log: return Foundation.log(v)
        case .neg: return -v
        case .abs: return Swift.abs(v)
        case .reciprocal: return 1 / v
        case .pow(let p): return p == 2 ? v * v : (p == 1 ? v : Foundation.pow(v, p))
        case .gelu(let tanh):
            if tanh { return 0.5 * v * (1 + Foundation.tanh(sqrtTwoOverPi * (v + 0.044715 * v * v * v))) }
            return 0.5 * v * (1 + Foundation.erf(v / sqrtTwo))
        }
    }

    /// f′(x) for one element (at x and f(x) = y).
    @inlinable
    public static func derivative(_ kind: Kind, x v: Float, y: Float) -> Float {
        switch kind {
        case .erf: return 2 / Float.pi.squareRoot() * Foundation.exp(-v * v)
        case .sqrt: return 0.5 / y
        case .exp: return y
        case .log: return 1 / v
        case .neg: return -1
        case .abs: return v > 0 ? 1 : (v < 0 ? -1 : 0)
        case .reciprocal: return -y * y
        case .pow(let p): return p == 2 ? 2 * v : (p == 1 ? 1 : p * Foundation.pow(v, p - 1))
        case .gelu(let tanh):
            if tanh {
                let u = sqrtTwoOverPi * (v + 0.044715 * v * v * v), t = Foundation.tanh(u)
                return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * sqrtTwoOverPi * (1 + 3 * 0.044715 * v * v)
            }
            let phi = Foundation.exp(-0.5 * v * v) / (2 * Float.pi).squareRoot()
            return 0.5 * (1 + Foundation.erf(v / sqrtTwo)) + v * phi
        }
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let n = output.count, kind = self.kind
        let x = inputs[0].pointer, y = output.pointer
        let chunks = n > 1 << 15 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            for i in (n * c / chunks)..<(n * (c + 1) / chunks) { y[i] = Unary.value(kind, x[i]) }
        }
    }

    /// dx += dy · f′(x); relevance passes unchanged under LRP rules.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let n = dx.count, kind = self.kind
        let x = args.inputs[0].pointer, y = args.output.pointer, g = args.gradOutput.pointer
        if args.rule.lrp {
            for i in 0..<n { dx.pointer[i] += g[i] }
            return
        }
        let chunks = n > 1 << 15 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            for i in (n * c / chunks)..<(n * (c + 1) / chunks) { dx.pointer[i] += g[i] * Unary.derivative(kind, x: x[i], y: y[i]) }
        }
    }
}
