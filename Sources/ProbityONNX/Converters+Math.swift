import Foundation
import ProbityCore
import ProbityEngine

/// Converters for the element-wise math, normalization and logic ops that vision transformers
/// and ConvNeXt bring (both PyTorch exporters, opsets 11–18): Erf, Gelu, Sqrt, Exp, Log, Neg, Abs,
/// Reciprocal, Pow, LayerNormalization, InstanceNormalization; and Equal, Not, Mod and Where, which
/// these exports use on shapes and masks known at import time and which are folded there. Mod,
/// Pow and Where also run on run-time values; Equal and Not (whose outputs are booleans) are
/// refused there with the reason.
extension ONNXImporter {
    static func unary(_ kind: Unary.Kind) -> Converter {
        { node, c in try c.emit(node, Unary(kind), [try c.value(node, 0)]) }
    }

    /// Element-wise logic on constants with broadcasting, as int64 (ONNX bool) or the inputs' type.
    static func foldLogic(_ node: Onnx_NodeProto, _ c: ImportContext, _ f: (ImportTensor, ImportTensor) throws -> ImportTensor) throws {
        guard c.isConstant(node), case .constant(let a)? = c.input(node, 0), case .constant(let b)? = c.input(node, 1) else {
            throw ProbityError.unsupported("\(node.opType) on values computed at run time (Probity folds it when its inputs are known at import)")
        }
        c.bind(node, .constant(try f(a, b)))
    }

    /// `op` applied to the broadcast pairs of two constants, as doubles.
    static func pairs(_ a: ImportTensor, _ b: ImportTensor, _ op: (Double, Double) -> Double) throws -> (shape: [Int], values: [Double]) {
        let shape = try IndexMaps.broadcastShape(a.shape, b.shape)
        let ma = IndexMaps.broadcast(a.shape, to: shape), mb = IndexMaps.broadcast(b.shape, to: shape)
        let x = a.doubles, y = b.doubles
        return (shape, (0..<ma.count).map { op(x[ma[$0]], y[mb[$0]]) })
    }

    static let mathConverters: [String: Converter] = [
        "Erf": unary(.erf), "Sqrt": unary(.sqrt), "Exp": unary(.exp), "Log": unary(.log),
        "Neg": unary(.neg), "Abs": unary(.abs), "Reciprocal": unary(.reciprocal),
        "Gelu": { node, c in
            let approximate = node.string("approximate", "none")
            guard approximate == "none" || approximate == "tanh" else { throw ProbityError.unsupported("Gelu approximate=\(approximate)") }
            try unary(.gelu(tanh: approximate == "tanh"))(node, c)
        },
        "Pow": { node, c in
            if c.isConstant(node), case .constant(let a)? = c.input(node, 0), case .constant(let b)? = c.input(node, 1) {
                let (shape, v) = try pairs(a, b) { Foundation.pow($0, $1) }
                c.bind(node, .constant(a.isFloat ? ImportTensor(shape: shape, storage: .float(v.map { Float($0) }), dataType: a.dataType)
                                               : ImportTensor(shape: shape, storage: .int(v.map { Int64($0) }), dataType: a.dataType)))
                return
            }
            // A single constant exponent is a unary map (as x², x^0.5 export); any other is Pow on run-time values.
            if case .constant(let exponent)? = c.input(node, 1), exponent.shape.reduce(1, *) == 1, let p = exponent.doubles.first {
                try c.emit(node, Unary(.pow(Float(p))), [try c.value(node, 0)])
                return
            }
            try c.emit(node, Binary(.pow), [try c.value(node, 0), try c.value(node, 1)])
        },
        "LayerNormalization": { node, c in
            var inputs = [try c.value(node, 0), try c.value(node, 1)]
            if c.input(node, 2) != nil { inputs.append(try c.value(node, 2)) }
            let (axis, epsilon) = (node.int("axis", -1), node.float("epsilon", 1e-5))
            for (k, part) in [LayerNorm.Part.normalized, .mean, .inverseStandardDeviation].enumerated() where k < node.output.count && !node.output[k].isEmpty {
                var one = node
                one.output = [node.output[k]]
                if k > 0 && !node.name.isEmpty { one.name = "\(node.name)#\(k)" }
                try c.emit(one, LayerNorm(axis: axis, epsilon: epsilon, part: part), inputs)
            }
        },
        "InstanceNormalization": { node, c in
            // Each (sample, channel) plane normalized over its spatial axes, then scaled and
            // shifted per channel (how GroupNorm exports, between two Reshapes): built from the
            // engine's LayerNorm over axes 2… (unit scale), a Mul and an Add, so its backward and
            // LN-rule relevance are LayerNorm's.
            let x = try c.shape(node, 0)
            guard x.count >= 3 else { throw ProbityError.invalidArgument("InstanceNormalization input \(x) has no spatial axes (N, C, D1, …)") }
            let scale = try c.constant(node, 1, "InstanceNormalization scale"), bias = try c.constant(node, 2, "InstanceNormalization B")
            let perChannel = [x[1]] + [Int](repeating: 1, count: x.count - 2)
            guard scale.shape.reduce(1, *) == x[1], bias.shape.reduce(1, *) == x[1] else {
                throw ProbityError.invalidArgument("InstanceNormalization scale \(scale.shape) and B \(bias.shape) need one value per channel of \(x)")
            }
            let stem = node.output[0]
            func constant(_ suffix: String, _ t: Tensor) -> Int { c.graph.addValue(name: stem + suffix, shape: t.shape, constant: t) }
            func step(_ suffix: String, _ op: any Operator, _ inputs: [Int]) throws -> Int {
                var part = node
                part.output = [suffix.isEmpty ? stem : stem + suffix]
                if !node.name.isEmpty { part.name = node.name + suffix }
                try c.emit(part, op, inputs)
                var reader = node
                reader.input = part.output
                return try c.value(reader, 0)
            }
            let unit = constant("#unit", Tensor(shape: [1], repeating: 1))
            let normalized = try step("#normalized", LayerNorm(axis: 2, epsilon: node.float("epsilon", 1e-5)), [try c.value(node, 0), unit])
            let scaled = try step("#scaled", Binary(.mul), [normalized, constant("#scale", scale.tensor.reshaped(to: perChannel))])
            _ = try step("", Binary(.add), [scaled, constant("#B", bias.tensor.reshaped(to: perChannel))])
        },
        "Equal": { node, c in
            try foldLogic(node, c) { a, b in
                let (shape, v) = try pairs(a, b) { $0 == $1 ? 1 : 0 }
                return ImportTensor(shape: shape, storage: .int(v.map { Int64($0) }), dataType: 9)
            }
        },
        "Mod": { node, c in
            let fmod = node.int("fmod", 0) != 0
            guard c.isConstant(node) else {
                try c.emit(node, Binary(fmod ? .fmod : .mod), [try c.value(node, 0), try c.value(node, 1)])
                return
            }
            try foldLogic(node, c) { a, b in
                let (shape, v) = try pairs(a, b) { x, y in
                    guard y != 0 else { return 0 }
                    let r = Foundation.fmod(x, y)
                    // fmod = 0 (integers): the remainder takes the divisor's sign, as Python's %.
                    return fmod || r == 0 || (r < 0) == (y < 0) ? r : r + y
                }
                return a.isFloat ? ImportTensor(shape: shape, storage: .float(v.map { Float($0) }), dataType: a.dataType)
                                 : ImportTensor(shape: shape, storage: .int(v.map { Int64($0) }), dataType: a.dataType)
            }
        },
        "Not": { node, c in
            guard case .constant(let a)? = c.input(node, 0) else { throw ProbityError.unsupported("Not on values computed at run time") }
            c.bind(node, .constant(ImportTensor(shape: a.shape, storage: .int(a.doubles.map { $0 == 0 ? 1 : 0 }), dataType: 9)))
        },
        "ScatterND": { node, c in
            // Swin's shifted-window masks and relative-position tables are built with ScatterND
            // from constants: folded here (data updated at each index tuple, reduction none, add or mul).
            guard c.isConstant(node), case .constant(var data)? = c.input(node, 0), case .constant(let indices)? = c.input(node, 1),
                  case .constant(let updates)? = c.input(node, 2) else {
                throw ProbityError.unsupported("ScatterND on values computed at run time (Probity folds it when its inputs are known at import)")
            }
            let reduction = node.string("reduction", "none")
            guard ["none", "add", "mul"].contains(reduction) else { throw ProbityError.unsupported("ScatterND reduction \(reduction)") }
            let q = indices.shape.last ?? 0
            guard q >= 1, q <= data.shape.count else { throw ProbityError.invalidArgument("ScatterND indices \(indices.shape) for data \(data.shape)") }
            let slice = data.shape[q...].reduce(1, *)
            let tuples = indices.shape.dropLast().reduce(1, *)
            guard updates.shape.reduce(1, *) == tuples * slice else { throw ProbityError.invalidArgument("ScatterND updates \(updates.shape) for indices \(indices.shape) and data \(data.shape)") }
            var strides = [Int](repeating: 1, count: q)
            for d in stride(from: q - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * data.shape[d + 1] }
            let ix = indices.ints
            var values = data.doubles
            let u = updates.doubles
            for t in 0..<tuples {
                var offset = 0
                for d in 0..<q {
                    var i = ix[t * q + d]
                    if i < 0 { i += data.shape[d] }
                    guard i >= 0 && i < data.shape[d] else { throw ProbityError.invalidArgument("ScatterND index \(ix[t * q + d]) out of range for axis \(d) of \(data.shape)") }
                    offset += i * strides[d]
                }
                for k in 0..<slice {
                    let j = offset * slice + k
                    switch reduction {
                    case "add": values[j] += u[t * slice + k]
                    case "mul": values[j] *= u[t * slice + k]
                    default: values[j] = u[t * slice + k]
                    }
                }
            }
            data.storage = data.isFloat ? .float(values.map { Float($0) }) : .int(values.map { Int64($0) })
            c.bind(node, .constant(data))
        },
        "Where": { node, c in
            guard case .constant(let condition)? = c.input(node, 0) else {
                try c.emit(node, Where(), [try c.value(node, 0), try c.value(node, 1), try c.value(node, 2)])
                return
            }
            if c.isConstant(node), case .constant(let x)? = c.input(node, 1), case .constant(let y)? = c.input(node, 2) {
                let shape = try IndexMaps.broadcastShape(IndexMaps.broadcastShape(condition.shape, x.shape), y.shape)
                let mc = IndexMaps.broadcast(condition.shape, to: shape), mx = IndexMaps.broadcast(x.shape, to: shape), my = IndexMaps.broadcast(y.shape, to: shape)
                let cv = condition.doubles
                if x.isFloat || y.isFloat {
                    let xv = x.floats, yv = y.floats
                    c.bind(node, .constant(ImportTensor(shape: shape, storage: .float((0..<mc.count).map { cv[mc[$0]] != 0 ? xv[mx[$0]] : yv[my[$0]] }), dataType: 1)))
                } else {
                    let xv = x.doubles, yv = y.doubles
                    c.bind(node, .constant(ImportTensor(shape: shape, storage: .int((0..<mc.count).map { Int64(cv[mc[$0]] != 0 ? xv[mx[$0]] : yv[my[$0]]) }), dataType: x.dataType)))
                }
                return
            }
            // A constant condition picks one side everywhere, or the two sides element by element.
            let values = condition.doubles
            if values.allSatisfy({ $0 != 0 }) || values.allSatisfy({ $0 == 0 }) {
                let side = (values.first ?? 1) != 0 ? 1 : 2
                let shape = try IndexMaps.broadcastShape(IndexMaps.broadcastShape(condition.shape, try c.shape(node, 1)), try c.shape(node, 2))
                var part = node
                part.input = [node.input[side]]
                try rearrange(part, c, .expand(shape: shape))
                return
            }
            try c.emit(node, Where(), [try c.value(node, 0), try c.value(node, 1), try c.value(node, 2)])
        },
    ]
}
