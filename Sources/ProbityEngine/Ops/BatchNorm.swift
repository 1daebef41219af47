/// BatchNormalization at inference: y = (x − mean) / √(var + ε) · scale + B, per channel
/// (axis 1). The planner folds it into a preceding Conv when it can; this runs the rest.
/// Inputs: X, scale, B, mean, var (constants).
public struct BatchNorm: Operator {
    public var epsilon: Float
    public var type: String { "BatchNormalization" }
    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 5, inputs[0].count >= 2 else { throw shapeError(type, "expects X, scale, B, mean, var") }
        let c = inputs[0][1]
        guard inputs[1...].allSatisfy({ $0 == [c] }) else { throw shapeError(type, "parameters must be [\(c)], got \(inputs[1...])") }
        return inputs[0]
    }

    /// Per-channel multiplier and offset: y = a·x + b.
    public static func affine(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> (a: [Float], b: [Float]) {
        var a = [Float](repeating: 0, count: scale.count), b = a
        for c in 0..<scale.count {
            let inv = 1 / (Double(variance[c]) + Double(epsilon)).squareRoot()
            a[c] = Float(Double(scale[c]) * inv)
            b[c] = Float(Double(bias[c]) - Double(mean[c]) * Double(scale[c]) * inv)
        }
        return (a, b)
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let x = inputs[0]
        let c = x.shape[1]
        let plane = x.shape[2...].reduce(1, *)
        let p = (1...4).map { k in (0..<c).map { inputs[k][$0] } }
        let (a, b) = BatchNorm.affine(scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: epsilon)
        for i in 0..<(x.count / Swift.max(plane, 1)) {
            let ch = i % c
            for j in 0..<plane { output.pointer[i * plane + j] = a[ch] * x[i * plane + j] + b[ch] }
        }
    }
}

extension BatchNorm {
    /// y = a·x + b per channel with a = scale/√(var + ε), b = B − mean·a. Gradients for X and
    /// every parameter; in LRP mode the ε-rule share a·x/y.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let x = args.inputs[0]
        let c = x.shape[1]
        let plane = x.shape[2...].reduce(1, *)
        let p = (1...4).map { k in (0..<c).map { args.inputs[k][$0] } }
        let (a, _) = BatchNorm.affine(scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: epsilon)
        let g = args.gradOutput.pointer, y = args.output.pointer
        let planes = x.count / Swift.max(plane, 1)
        if let dx = args.gradInputs[0] {
            for i in 0..<planes {
                let ch = i % c
                for j in 0..<plane {
                    let k = i * plane + j
                    if args.rule.lrp {
                        let eps = args.rule.stabilizer
                        dx.pointer[k] += a[ch] * x[k] * g[k] / (y[k] + (y[k] >= 0 ? eps : -eps))
                    } else {
                        dx.pointer[k] += a[ch] * g[k]
                    }
                }
            }
        }
        guard args.gradInputs.dropFirst().contains(where: { $0 != nil }) else { return }
        // Per channel: Σ g and Σ g·x̂ with x̂ = (x − mean)/√(var + ε).
        var sumG = [Double](repeating: 0, count: c), sumGX = sumG
        for i in 0..<planes {
            let ch = i % c
            let inv = 1 / (Double(p[3][ch]) + Double(epsilon)).squareRoot()
            for j in 0..<plane {
                let k = i * plane + j
                sumG[ch] += Double(g[k])
                sumGX[ch] += Double(g[k]) * (Double(x[k]) - Double(p[2][ch])) * inv
            }
        }
        for ch in 0..<c {
            let v = Double(p[3][ch]) + Double(epsilon)
            let inv = 1 / v.squareRoot()
            let scale = Double(p[0][ch])
            args.gradInputs[1]?.pointer[ch] += Float(sumGX[ch])
            args.gradInputs[2]?.pointer[ch] += Float(sumG[ch])
            args.gradInputs[3]?.pointer[ch] += Float(-scale * inv * sumG[ch])
            // ∂y/∂var = −½·scale·(x − mean)·(var + ε)^(−3/2) = −½·scale·x̂/(var + ε)
            args.gradInputs[4]?.pointer[ch] += Float(-0.5 * scale * sumGX[ch] / v)
        }
    }
}
