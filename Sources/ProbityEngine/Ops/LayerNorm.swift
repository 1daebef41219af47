import Foundation

/// ONNX LayerNormalization (opset 17): each slice over the axes from `axis` on is normalized to
/// zero mean and unit variance (biased variance, ε inside the square root), then scaled and
/// shifted: y = (x − μ)/√(σ² + ε) · scale + bias, scale and bias broadcast to the normalized
/// axes. The optional Mean and InvStdDev outputs are separate ops (`part`).
///
/// Backward: the chain rule through μ and σ (dx = (ĝ − mean ĝ − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε) with
/// ĝ = dy ⊙ scale), and the scale and bias gradients. Under LRP rules the normalizer is held
/// constant, the LN-rule of Ali et al. 2022 ("XAI for Transformers: Better Explanations through
/// Conservative Propagation"): relevance flows by the ε-rule through the linear map
/// x ↦ (x − μ)·scale/√(σ² + ε) + bias, so what reaches x sums to the output's relevance less
/// the bias's share.
public struct LayerNorm: Operator {
    /// Which of ONNX's three outputs this op computes: Y, or the training outputs Mean and
    /// InvStdDev (one value per normalized slice, the normalized axes kept as 1). The engine's ops
    /// have one output each, so a node using all three becomes three ops.
    public enum Part: Sendable, Equatable { case normalized, mean, inverseStandardDeviation }
    public var axis: Int
    public var epsilon: Float
    public var part: Part
    public var type: String { "LayerNormalization" }
    public init(axis: Int = -1, epsilon: Float = 1e-5, part: Part = .normalized) { self.axis = axis; self.epsilon = epsilon; self.part = part }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 2 || inputs.count == 3 else { throw shapeError(type, "expects X, Scale and an optional B") }
        let x = inputs[0]
        let a = try IndexMaps.normalizeAxis(axis, rank: x.count)
        let normalized = Array(x[a...])
        for p in inputs.dropFirst() {
            guard (try? IndexMaps.broadcastShape(normalized, p)) == normalized else {
                throw shapeError(type, "scale/bias \(p) do not broadcast to the normalized axes \(normalized)")
            }
        }
        if part == .normalized { return x }
        return Array(x[..<a]) + [Int](repeating: 1, count: x.count - a)
    }

    /// (rows, length) of the normalization for an input shape.
    func extents(_ shape: [Int]) -> (rows: Int, length: Int) {
        let a = axis < 0 ? axis + shape.count : axis
        return (shape[..<a].reduce(1, *), shape[a...].reduce(1, *))
    }

    /// Scale or bias expanded to one value per normalized position.
    func expanded(_ v: ConstView, to shape: [Int]) -> [Float] {
        let a = axis < 0 ? axis + shape.count : axis
        let normalized = Array(shape[a...])
        let map = IndexMaps.broadcast(v.shape, to: normalized)
        return map.map { v.pointer[$0] }
    }

    /// A row's mean and 1/√(σ² + ε) (biased variance, two passes): what forward and backward share.
    static func statistics(_ row: UnsafePointer<Float>, length: Int, epsilon: Float) -> (mean: Float, inverse: Float) {
        var mean: Float = 0
        for i in 0..<length { mean += row[i] }
        mean /= Float(length)
        var variance: Float = 0
        for i in 0..<length { let d = row[i] - mean; variance += d * d }
        variance /= Float(length)
        return (mean, 1 / (variance + epsilon).squareRoot())
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let (rows, length) = extents(inputs[0].shape)
        let scale = expanded(inputs[1], to: inputs[0].shape)
        let bias = inputs.count > 2 ? expanded(inputs[2], to: inputs[0].shape) : [Float](repeating: 0, count: length)
        let x = inputs[0].pointer, y = output.pointer, eps = epsilon, part = self.part
        let chunks = rows > 64 ? context.threads : 1
        context.parallel(chunks) { c, _ in
            let lo = rows * c / chunks, hi = rows * (c + 1) / chunks
            for r in lo..<hi {
                let row = x + r * length, out = y + r * length
                let (mean, inv) = LayerNorm.statistics(row, length: length, epsilon: eps)
                switch part {
                case .normalized: for i in 0..<length { out[i] = (row[i] - mean) * inv * scale[i] + bias[i] }
                case .mean: y[r] = mean
                case .inverseStandardDeviation: y[r] = inv
                }
            }
        }
    }

    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let shape = args.inputs[0].shape
        let (rows, length) = extents(shape)
        let scale = expanded(args.inputs[1], to: shape)
        let bias = args.inputs.count > 2 ? expanded(args.inputs[2], to: shape) : [Float](repeating: 0, count: length)
        let x = args.inputs[0].pointer, g = args.gradOutput.pointer
        let wantParameters = part == .normalized && args.gradInputs.dropFirst().contains { $0 != nil }
        var dScale = [Float](repeating: 0, count: length), dBias = [Float](repeating: 0, count: length)
        for r in 0..<rows {
            let row = x + r * length, gr = g + r * length
            let (mean, inv) = LayerNorm.statistics(row, length: length, epsilon: epsilon)
            if part != .normalized {
                // dMean/dx_i = 1/N; dInv/dx_i = −inv³ (x_i − μ)/N.
                guard let dx = args.gradInputs[0] else { continue }
                for i in 0..<length {
                    dx.pointer[r * length + i] += g[r] * (part == .mean ? 1 / Float(length) : -inv * inv * inv * (row[i] - mean) / Float(length))
                }
                continue
            }
            if wantParameters {
                for i in 0..<length { dScale[i] += gr[i] * (row[i] - mean) * inv; dBias[i] += gr[i] }
            }
            guard let dx = args.gradInputs[0] else { continue }
            let dr = dx.pointer + r * length
            if args.rule.lrp {
                // LN-rule: with the normalizer held constant, y = W x + b with
                // W_ij = scale_i·inv·(δ_ij − 1/N); the ε-rule through W gives
                // R_j = x_j·inv·(scale_j·s_j − mean_i(scale_i·s_i)) with s_i = R_i / (y_i ± ε), and
                // Σ_j R_j = Σ_i (y_i − bias_i)·s_i: conserved up to the bias's share.
                let e = args.rule.stabilizer
                var s = [Float](repeating: 0, count: length), meanS: Float = 0
                for i in 0..<length {
                    let yv = (row[i] - mean) * scale[i] * inv + bias[i]
                    s[i] = scale[i] * gr[i] / (yv + (yv >= 0 ? e : -e))
                    meanS += s[i]
                }
                meanS /= Float(length)
                for j in 0..<length { dr[j] += row[j] * inv * (s[j] - meanS) }
                continue
            }
            var meanG: Float = 0, meanGX: Float = 0
            for i in 0..<length { let gh = gr[i] * scale[i]; meanG += gh; meanGX += gh * (row[i] - mean) * inv }
            meanG /= Float(length); meanGX /= Float(length)
            for i in 0..<length {
                let gh = gr[i] * scale[i], xh = (row[i] - mean) * inv
                dr[i] += (gh - meanG - xh * meanGX) * inv
            }
        }
        if wantParameters {
            let a = axis < 0 ? axis + shape.count : axis
            let normalized = Array(shape[a...])
            for (k, sums) in [(1, dScale), (2, dBias)] where k < args.gradInputs.count {
                guard let d = args.gradInputs[k] else { continue }
                let map = IndexMaps.broadcast(args.inputs[k].shape, to: normalized)
                for i in 0..<length { d.pointer[map[i]] += sums[i] }
            }
        }
    }
}
