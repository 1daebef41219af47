import Foundation

/// Softmax, or with `log` LogSoftmax, along one axis (ONNX opset ≥ 13). Older opsets flatten
/// to 2-D at `axis`; the importer expresses that as `coerced2D`, which softmaxes over all axes
/// from `axis` on. Computed stably: the maximum is subtracted before `exp`, and LogSoftmax is
/// x − m − log Σ exp(x − m), never the log of a rounded-to-zero probability.
public struct Softmax: Operator {
    public var axis: Int
    public var coerced2D: Bool
    /// LogSoftmax (log-probabilities) instead of probabilities.
    public var log: Bool
    public var type: String { log ? "LogSoftmax" : "Softmax" }
    public init(axis: Int, coerced2D: Bool = false, log: Bool = false) { self.axis = axis; self.coerced2D = coerced2D; self.log = log }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        _ = try IndexMaps.normalizeAxis(axis, rank: inputs[0].count)
        return inputs[0]
    }

    /// (outer, length, inner) of the softmax axis for an input shape.
    func extents(_ shape: [Int]) -> (outer: Int, length: Int, inner: Int) {
        let a = axis < 0 ? axis + shape.count : axis
        return (shape[..<a].reduce(1, *), coerced2D ? shape[a...].reduce(1, *) : shape[a], coerced2D ? 1 : shape[(a + 1)...].reduce(1, *))
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let (outer, length, inner) = extents(inputs[0].shape)
        let x = inputs[0].pointer, y = output.pointer, log = self.log
        // Rows are independent: split them over threads (an attention map's rows in a ViT).
        let rows = outer * inner
        let parts = output.count > 1 << 15 ? Swift.min(context.threads, rows) : 1
        context.parallel(parts) { c, _ in
            for r in (rows * c / parts)..<(rows * (c + 1) / parts) {
                let o = r / inner, i = r % inner
                let base = o * length * inner + i
                var m = -Float.infinity
                for k in 0..<length { m = Swift.max(m, x[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<length { let e = Foundation.exp(x[base + k * inner] - m); y[base + k * inner] = e; sum += e }
                if log {
                    let shift = m + Foundation.log(sum)
                    for k in 0..<length { y[base + k * inner] = x[base + k * inner] - shift }
                } else {
                    for k in 0..<length { y[base + k * inner] /= sum }
                }
            }
        }
    }
}

extension Softmax {
    /// Softmax: dx = y ⊙ (dy − Σ dy·y); LogSoftmax: dx = dy − exp(y) Σ dy, along the axis.
    /// Under LRP rules relevance passes unchanged, as through activations (Chefer et al. 2021's
    /// `Softmax.relprop`); with the AH-rule none reaches an attention softmax (`MatMul+LRP.swift`).
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        if args.rule.lrp {
            for i in 0..<dx.count { dx.pointer[i] += args.gradOutput.pointer[i] }
            return
        }
        let (outer, length, inner) = extents(args.inputs[0].shape)
        let y = args.output.pointer, g = args.gradOutput.pointer, d = dx.pointer, log = self.log
        let rows = outer * inner
        let parts = dx.count > 1 << 15 ? Swift.min(context.threads, rows) : 1
        context.parallel(parts) { c, _ in
            let dx = d
            for r in (rows * c / parts)..<(rows * (c + 1) / parts) {
                let o = r / inner, i = r % inner
                let base = o * length * inner + i
                if log {
                    var total: Float = 0
                    for k in 0..<length { total += g[base + k * inner] }
                    for k in 0..<length { let j = base + k * inner; dx[j] += g[j] - Foundation.exp(y[j]) * total }
                } else {
                    var dot: Float = 0
                    for k in 0..<length { dot += g[base + k * inner] * y[base + k * inner] }
                    for k in 0..<length { let j = base + k * inner; dx[j] += y[j] * (g[j] - dot) }
                }
            }
        }
    }
}
