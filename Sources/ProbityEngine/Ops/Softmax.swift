import Foundation

/// Softmax along one axis (ONNX opset ≥ 13). Older opsets flatten to 2-D at `axis`; the
/// importer expresses that as `coerced2D`, which softmaxes over all axes from `axis` on.
/// Computed stably: the maximum is subtracted before `exp`.
public struct Softmax: Operator {
    public var axis: Int
    public var coerced2D: Bool
    public var type: String { "Softmax" }
    public init(axis: Int, coerced2D: Bool = false) { self.axis = axis; self.coerced2D = coerced2D }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1 else { throw shapeError(type, "expects one input") }
        _ = try IndexMaps.normalizeAxis(axis, rank: inputs[0].count)
        return inputs[0]
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let shape = inputs[0].shape
        let a = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<a].reduce(1, *)
        let length = coerced2D ? shape[a...].reduce(1, *) : shape[a]
        let inner = coerced2D ? 1 : shape[(a + 1)...].reduce(1, *)
        let x = inputs[0].pointer, y = output.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var m = -Float.infinity
                for k in 0..<length { m = Swift.max(m, x[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<length { let e = Foundation.exp(x[base + k * inner] - m); y[base + k * inner] = e; sum += e }
                for k in 0..<length { y[base + k * inner] /= sum }
            }
        }
    }
}

extension Softmax {
    /// dx = y ⊙ (dy − Σ dy·y) along the softmax axis.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let shape = args.inputs[0].shape
        let a = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<a].reduce(1, *)
        let length = coerced2D ? shape[a...].reduce(1, *) : shape[a]
        let inner = coerced2D ? 1 : shape[(a + 1)...].reduce(1, *)
        let y = args.output.pointer, g = args.gradOutput.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var dot: Float = 0
                for k in 0..<length { dot += g[base + k * inner] * y[base + k * inner] }
                for k in 0..<length { let j = base + k * inner; dx.pointer[j] += y[j] * (g[j] - dot) }
            }
        }
    }
}
