import ProbityCore
import ProbityEngine

/// Converters for the float ops of neural networks: Conv, BatchNormalization, pooling,
/// Gemm, MatMul, activations, Softmax, LogSoftmax, the reductions (ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2,
/// ReduceSumSquare).
extension ONNXImporter {
    typealias Converter = @Sendable (Onnx_NodeProto, ImportContext) throws -> Void

    static let converters: [String: Converter] = neuralNetworkConverters.merging(tensorConverters) { a, _ in a }.merging(mathConverters) { a, _ in a }

    /// Explicit pads (top, left, bottom, right) from `pads` or `auto_pad`, for 2-D windows.
    static func windowPads(_ node: Onnx_NodeProto, input: [Int], kernel: (Int, Int), strides: (Int, Int), dilations: (Int, Int)) throws -> (Int, Int, Int, Int) {
        let autoPad = node.string("auto_pad", "NOTSET")
        switch autoPad {
        case "NOTSET", "":
            let p = node.ints("pads") ?? [0, 0, 0, 0]
            guard p.count == 4 else { throw ProbityError.unsupported("pads \(p): only 2-D windows are supported") }
            return (p[0], p[1], p[2], p[3])
        case "VALID":
            return (0, 0, 0, 0)
        case "SAME_UPPER", "SAME_LOWER":
            func split(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (n + s - 1) / s
                let total = Swift.max(0, (out - 1) * s + (k - 1) * d + 1 - n)
                let small = total / 2
                return autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
            let (t, b) = split(input[2], kernel.0, strides.0, dilations.0)
            let (l, r) = split(input[3], kernel.1, strides.1, dilations.1)
            return (t, l, b, r)
        default:
            throw ProbityError.unsupported("auto_pad \(autoPad)")
        }
    }

    static func pair(_ values: [Int]?, _ fallback: Int, _ what: String) throws -> (Int, Int) {
        guard let v = values else { return (fallback, fallback) }
        guard v.count == 2 else { throw ProbityError.unsupported("\(what) \(v): only 2-D windows are supported") }
        return (v[0], v[1])
    }

    static func activation(_ kind: Activation.Kind) -> Converter {
        { node, c in try c.emit(node, Activation(kind), [try c.value(node, 0)]) }
    }

    static let neuralNetworkConverters: [String: Converter] = [
        "Conv": { node, c in
            let x = try c.shape(node, 0), w = try c.shape(node, 1)
            guard x.count == 4, w.count == 4 else { throw ProbityError.unsupported("only 2-D Conv is supported (X \(x), W \(w))") }
            let strides = try pair(node.ints("strides"), 1, "strides")
            let dilations = try pair(node.ints("dilations"), 1, "dilations")
            let kernel = try pair(node.ints("kernel_shape") ?? [w[2], w[3]], 1, "kernel_shape")
            let pads = try windowPads(node, input: x, kernel: kernel, strides: strides, dilations: dilations)
            let conv = Conv(strides: strides, dilations: dilations, pads: pads, group: node.int("group", 1))
            var inputs = [try c.value(node, 0), try c.value(node, 1)]
            if c.input(node, 2) != nil { inputs.append(try c.value(node, 2)) }
            try c.emit(node, conv, inputs)
        },
        "BatchNormalization": { node, c in
            if node.output.count > 1 && node.output[1...].contains(where: { !$0.isEmpty }) {
                throw ProbityError.unsupported("BatchNormalization in training mode (running statistics as outputs)")
            }
            try c.emit(node, BatchNorm(epsilon: node.float("epsilon", 1e-5)), try (0..<5).map { try c.value(node, $0) })
        },
        "MaxPool": { node, c in try pool(node, c, max: true) },
        "AveragePool": { node, c in try pool(node, c, max: false) },
        "GlobalAveragePool": { node, c in try c.emit(node, GlobalPool(max: false), [try c.value(node, 0)]) },
        "GlobalMaxPool": { node, c in try c.emit(node, GlobalPool(max: true), [try c.value(node, 0)]) },
        "Gemm": { node, c in
            let op = Gemm(alpha: node.float("alpha", 1), beta: node.float("beta", 1), transA: node.int("transA", 0) != 0, transB: node.int("transB", 0) != 0)
            var inputs = [try c.value(node, 0), try c.value(node, 1)]
            if c.input(node, 2) != nil { inputs.append(try c.value(node, 2)) }
            try c.emit(node, op, inputs)
        },
        "MatMul": { node, c in try c.emit(node, MatMul(), [try c.value(node, 0), try c.value(node, 1)]) },
        "Relu": activation(.relu),
        "Sigmoid": activation(.sigmoid),
        "Tanh": activation(.tanh),
        "HardSwish": activation(.hardSwish),
        "LeakyRelu": { node, c in try activation(.leakyRelu(alpha: node.float("alpha", 0.01)))(node, c) },
        "HardSigmoid": { node, c in try activation(.hardSigmoid(alpha: node.float("alpha", 0.2), beta: node.float("beta", 0.5)))(node, c) },
        "Clip": { node, c in
            var lo = -Float.greatestFiniteMagnitude, hi = Float.greatestFiniteMagnitude
            if c.opset < 11 {
                lo = node.float("min", lo); hi = node.float("max", hi)
            } else {
                if let t = try c.optionalConstant(node, 1, "Clip min") { lo = t.floats.first ?? lo }
                if let t = try c.optionalConstant(node, 2, "Clip max") { hi = t.floats.first ?? hi }
            }
            try c.emit(node, Activation(.clip(min: lo, max: hi)), [try c.value(node, 0)])
        },
        "Softmax": { node, c in
            let legacy = c.opset < 13
            try c.emit(node, Softmax(axis: node.int("axis", legacy ? 1 : -1), coerced2D: legacy), [try c.value(node, 0)])
        },
        "LogSoftmax": { node, c in
            let legacy = c.opset < 13
            try c.emit(node, Softmax(axis: node.int("axis", legacy ? 1 : -1), coerced2D: legacy, log: true), [try c.value(node, 0)])
        },
        "ReduceMean": reduce(.mean), "ReduceSum": reduce(.sum), "ReduceMax": reduce(.max), "ReduceMin": reduce(.min),
        "ReduceL1": reduce(.l1), "ReduceL2": reduce(.l2), "ReduceSumSquare": reduce(.sumSquare),
    ]

    /// The reductions: axes an attribute, or the optional second input from opset 13 (ReduceSum)
    /// or 18 (the others); no axes reduces all, or nothing with `noop_with_empty_axes`.
    static func reduce(_ kind: Reduce.Kind) -> Converter {
        { node, c in
            var axes = node.ints("axes") ?? []
            if c.opset >= (kind == .sum ? 13 : 18), let t = try c.optionalConstant(node, 1, "\(kind.rawValue) axes") { axes = t.ints }
            let keep = node.int("keepdims", 1) != 0
            if axes.isEmpty && node.int("noop_with_empty_axes", 0) != 0 {
                c.bindings[node.output[0]] = c.input(node, 0)
                return
            }
            try c.emit(node, Reduce(kind, axes: axes, keepDims: keep), [try c.value(node, 0)])
        }
    }

    static func pool(_ node: Onnx_NodeProto, _ c: ImportContext, max: Bool) throws {
        if node.output.count > 1 && !node.output[1].isEmpty { throw ProbityError.unsupported("MaxPool with an Indices output") }
        let x = try c.shape(node, 0)
        guard x.count == 4 else { throw ProbityError.unsupported("only 2-D pooling is supported (X \(x))") }
        let kernel = try pair(node.ints("kernel_shape"), 1, "kernel_shape")
        let strides = try pair(node.ints("strides"), 1, "strides")
        let dilations = try pair(node.ints("dilations"), 1, "dilations")
        if !max && dilations != (1, 1) { throw ProbityError.unsupported("AveragePool with dilations") }
        let pads = try windowPads(node, input: x, kernel: kernel, strides: strides, dilations: dilations)
        let kind: Pool.Kind = max ? .max : .average(countIncludePad: node.int("count_include_pad", 0) != 0)
        let op = Pool(kind: kind, kernel: kernel, strides: strides, dilations: dilations, pads: pads, ceilMode: node.int("ceil_mode", 0) != 0)
        try c.emit(node, op, [try c.value(node, 0)])
    }
}
