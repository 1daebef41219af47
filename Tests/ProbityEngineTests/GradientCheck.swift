import XCTest
import ProbityCore
@testable import ProbityEngine

/// Central finite differences of L = Σ dy ⊙ op(inputs), accumulated in Double, against an
/// op's backward kernel. Linear ops are checked with a large step (exact up to rounding);
/// smooth nonlinear ones with a small one.
enum GradientCheck {
    static func forward(_ op: any Operator, _ inputs: [Tensor], outShape: [Int], context: ExecutionContext) -> Tensor {
        var out = Tensor(shape: outShape)
        withViews(inputs) { views in
            out.storage.withUnsafeMutableBufferPointer { op.forward(views, MutableView(pointer: $0.baseAddress!, shape: outShape), context) }
        }
        return out
    }

    static func withViews<R>(_ tensors: [Tensor], _ body: ([ConstView]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<Float>] = []
        for t in tensors {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, t.count))
            t.storage.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: t.count) }
            pointers.append(p)
        }
        defer { pointers.forEach { $0.deallocate() } }
        return body(zip(pointers, tensors).map { ConstView(pointer: UnsafePointer($0.0), shape: $0.1.shape) })
    }

    /// The op's input gradients for output gradient `dy` (all inputs, from zero).
    static func analytic(_ op: any Operator, _ inputs: [Tensor], dy: Tensor, rule: NodeRule = .gradient, context: ExecutionContext) -> [Tensor] {
        let y = forward(op, inputs, outShape: dy.shape, context: context)
        var grads = inputs.map { Tensor(shape: $0.shape) }
        var g = dy
        withViews(inputs + [y]) { views in
            let pointers = grads.map { t -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, t.count)); p.initialize(repeating: 0, count: t.count); return p
            }
            defer { pointers.forEach { $0.deallocate() } }
            g.storage.withUnsafeMutableBufferPointer { gp in
                let args = BackwardArguments(inputs: Array(views.dropLast()), output: views.last!,
                                             gradOutput: MutableView(pointer: gp.baseAddress!, shape: dy.shape),
                                             gradInputs: zip(pointers, inputs).map { MutableView(pointer: $0.0, shape: $0.1.shape) }, rule: rule)
                op.backward(args, context)
            }
            for k in grads.indices { grads[k].storage = Array(UnsafeBufferPointer(start: pointers[k], count: inputs[k].count)) }
        }
        return grads
    }

    /// Checks ∂L/∂input[k] for every k in `wrt` (default: all) element by element.
    static func check(_ op: any Operator, _ inputs: [Tensor], wrt: [Int]? = nil, step h: Double = 1e-2, tolerance: Float = 2e-3,
                      threads: Int = 2, seed: UInt64 = 5, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let context = ExecutionContext(threads: threads)
        let shapes = inputs.map(\.shape)
        let planned = op.planned(for: shapes)
        let outShape = try op.outputShape(shapes)
        var rng = RNG(seed: seed)
        let dy = rng.normalTensor(shape: outShape)
        let grads = analytic(planned, inputs, dy: dy, context: context)
        func loss(_ xs: [Tensor]) -> Double {
            let y = forward(planned, xs, outShape: outShape, context: context)
            var s = 0.0
            for i in 0..<y.count { s += Double(dy.storage[i]) * Double(y.storage[i]) }
            return s
        }
        for k in wrt ?? Array(inputs.indices) {
            var worst: Float = 0
            var scale: Float = 1e-3
            for j in 0..<inputs[k].count {
                var plus = inputs, minus = inputs
                plus[k].storage[j] += Float(h)
                minus[k].storage[j] -= Float(h)
                // The step actually taken in float32.
                let taken = Double(plus[k].storage[j]) - Double(minus[k].storage[j])
                let numeric = Float((loss(plus) - loss(minus)) / taken)
                worst = Swift.max(worst, abs(numeric - grads[k].storage[j]))
                scale = Swift.max(scale, abs(numeric))
            }
            XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(label): input \(k) max error \(worst) (largest gradient \(scale))", file: file, line: line)
        }
    }
}
