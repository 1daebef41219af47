import Foundation
import ProbityCore
import ProbityEngine

/// Converters for ops that reshape, move or create tensors, and for arithmetic. On constant
/// inputs (int64 shape arithmetic included) they compute the result at import time.
extension ONNXImporter {
    /// Applies an index map to a constant of either storage kind.
    static func remap(_ t: ImportTensor, shape: [Int], map: [Int], fill: Double = 0) -> ImportTensor {
        switch t.storage {
        case .float(let v): return ImportTensor(shape: shape, storage: .float(IndexMaps.apply(map, to: v, fill: Float(fill))), dataType: t.dataType)
        case .int(let v): return ImportTensor(shape: shape, storage: .int(IndexMaps.apply(map, to: v, fill: Int64(fill))), dataType: t.dataType)
        }
    }

    /// A structural op: remapped at import time on constants, an engine op otherwise.
    static func rearrange(_ node: Onnx_NodeProto, _ c: ImportContext, _ kind: Rearrange.Kind) throws {
        let op = Rearrange(kind)
        if case .constant(let t)? = c.input(node, 0) {
            let (shape, map) = try op.layout(t.shape)
            var fill = 0.0
            if case .pad(_, _, let v) = kind { fill = Double(v) }
            c.bind(node, .constant(remap(t, shape: shape, map: map, fill: fill)))
        } else {
            try c.emit(node, op, [try c.value(node, 0)])
        }
    }

    /// Same elements, new shape.
    static func reshape(_ node: Onnx_NodeProto, _ c: ImportContext, to shape: [Int], type: String) throws {
        let count = try c.shape(node, 0).reduce(1, *)
        guard shape.reduce(1, *) == count, shape.allSatisfy({ $0 >= 0 }) else {
            throw ProbityError.invalidArgument("cannot reshape \(try c.shape(node, 0)) to \(shape)")
        }
        switch c.input(node, 0) {
        case .constant(var t)?:
            t.shape = shape
            c.bind(node, .constant(t))
        default:
            try c.emit(node, Reshape(to: shape, type: type), [try c.value(node, 0)])
        }
    }

    /// Elementwise arithmetic on two constants, with broadcasting; int64 stays int64.
    static func foldBinary(_ kind: Binary.Kind, _ a: ImportTensor, _ b: ImportTensor) throws -> ImportTensor {
        let shape = try IndexMaps.broadcastShape(a.shape, b.shape)
        let ma = IndexMaps.broadcast(a.shape, to: shape), mb = IndexMaps.broadcast(b.shape, to: shape)
        if case .int(let x) = a.storage, case .int(let y) = b.storage {
            let v: [Int64] = (0..<ma.count).map { i in
                let p = x[ma[i]], q = y[mb[i]]
                switch kind {
                case .add: return p &+ q
                case .sub: return p &- q
                case .mul: return p &* q
                case .div: return q == 0 ? 0 : p / q
                case .pow:
                    let v = Foundation.pow(Double(p), Double(q))
                    return v.magnitude < 9.2e18 ? Int64(v) : 0
                case .fmod: return q == 0 ? 0 : p % q
                case .mod:
                    guard q != 0 else { return 0 }
                    let r = p % q
                    return r != 0 && (r < 0) != (q < 0) ? r + q : r
                }
            }
            return ImportTensor(shape: shape, storage: .int(v), dataType: a.dataType)
        }
        let x = a.floats, y = b.floats
        let v: [Float] = (0..<ma.count).map { i in
            let p = x[ma[i]], q = y[mb[i]]
            return Binary(kind).op(p, q)
        }
        return ImportTensor(shape: shape, storage: .float(v), dataType: 1)
    }

    static func binary(_ kind: Binary.Kind) -> Converter {
        { node, c in
            var legacyAxis: Int? = nil
            if c.opset < 7 && node.int("broadcast", 0) != 0 { legacyAxis = node.int("axis", -1) }
            if c.isConstant(node), case .constant(let a)? = c.input(node, 0), case .constant(var b)? = c.input(node, 1) {
                if let axis = legacyAxis { b.shape = legacyShape(b.shape, rank: a.shape.count, axis: axis) }
                c.bind(node, .constant(try foldBinary(kind, a, b)))
                return
            }
            var inputs = [try c.value(node, 0), try c.value(node, 1)]
            if let axis = legacyAxis {
                // Opset < 7: B aligns with A starting at `axis`; make that explicit for NumPy broadcasting.
                // A computed B needs a Reshape node: a bare value of the new shape would have no
                // producer, and the kernel read unplaced memory (found by AddressSanitizer).
                let b = c.graph.values[inputs[1]]
                let shape = legacyShape(b.shape, rank: c.graph.values[inputs[0]].shape.count, axis: axis)
                if shape != b.shape {
                    if let constant = b.constant {
                        inputs[1] = c.graph.addValue(name: b.name + ".aligned", shape: shape, constant: constant.reshaped(to: shape))
                    } else {
                        inputs[1] = try c.graph.addNode(name: b.name + ".aligned", op: Reshape(to: shape), inputs: [inputs[1]], outputName: b.name + ".aligned")
                    }
                }
            }
            try c.emit(node, Binary(kind), inputs)
        }
    }

    static func legacyShape(_ b: [Int], rank: Int, axis: Int) -> [Int] {
        let start = axis < 0 ? rank - b.count : axis
        return b + [Int](repeating: 1, count: Swift.max(0, rank - start - b.count))
    }

    static let tensorConverters: [String: Converter] = [
        "Add": binary(.add), "Sub": binary(.sub), "Mul": binary(.mul), "Div": binary(.div),
        "Identity": { node, c in c.bindings[node.output[0]] = c.input(node, 0) },
        "Dropout": { node, c in
            if let training = try c.optionalConstant(node, 2, "Dropout training_mode"), training.ints.first ?? 0 != 0 {
                throw ProbityError.unsupported("Dropout in training mode (Probity runs models at inference)")
            }
            c.bindings[node.output[0]] = c.input(node, 0)
            if node.output.count > 1 && !node.output[1].isEmpty {
                let shape = try c.shape(node, 0)
                c.bindings[node.output[1]] = .constant(ImportTensor(shape: shape, storage: .int(.init(repeating: 1, count: shape.reduce(1, *))), dataType: 9))
            }
        },
        "Constant": { node, c in
            let t: ImportTensor
            if let a = node.attribute("value") { t = try ImportTensor(proto: a.t, file: c.file) }
            else if let a = node.attribute("value_float") { t = ImportTensor(shape: [], storage: .float([a.f]), dataType: 1) }
            else if let a = node.attribute("value_floats") { t = ImportTensor(shape: [a.floats.count], storage: .float(a.floats), dataType: 1) }
            else if let a = node.attribute("value_int") { t = ImportTensor(shape: [], storage: .int([a.i]), dataType: 7) }
            else if let a = node.attribute("value_ints") { t = ImportTensor(shape: [a.ints.count], storage: .int(a.ints), dataType: 7) }
            else { throw ProbityError.unsupported("Constant without a value, value_float(s) or value_int(s) attribute") }
            c.bind(node, .constant(t))
        },
        "ConstantOfShape": { node, c in
            let shape = try c.constant(node, 0, "ConstantOfShape shape").ints
            let n = shape.reduce(1, *)
            var fill = ImportTensor(shape: [1], storage: .float([0]), dataType: 1)
            if let a = node.attribute("value") { fill = try ImportTensor(proto: a.t, file: c.file) }
            switch fill.storage {
            case .float(let v): c.bind(node, .constant(ImportTensor(shape: shape, storage: .float(.init(repeating: v.first ?? 0, count: n)), dataType: fill.dataType)))
            case .int(let v): c.bind(node, .constant(ImportTensor(shape: shape, storage: .int(.init(repeating: v.first ?? 0, count: n)), dataType: fill.dataType)))
            }
        },
        "Shape": { node, c in
            var shape = try c.shape(node, 0)
            if c.opset >= 15 {
                let r = shape.count
                func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + r : v, 0), r) }
                let start = clamp(node.int("start", 0)), end = clamp(node.int("end", r))
                shape = start < end ? Array(shape[start..<end]) : []
            }
            c.bind(node, .constant(ImportTensor(ints: shape)))
        },
        "Cast": { node, c in
            let to = Int32(node.int("to", 1))
            switch c.input(node, 0) {
            case .constant(let t)?: c.bind(node, .constant(try t.cast(to: to)))
            case .runtime?:
                guard ImportTensor.isFloatType(to) else { throw ProbityError.unsupported("Cast of a computed float tensor to element type \(to)") }
                c.bindings[node.output[0]] = c.input(node, 0)
            case nil: throw ProbityError.invalidArgument("missing input")
            }
        },
        "Reshape": { node, c in
            let input = try c.shape(node, 0)
            var target = c.opset < 5 ? (node.ints("shape") ?? []) : try c.constant(node, 1, "Reshape shape").ints
            let allowZero = node.int("allowzero", 0) != 0
            for i in target.indices where target[i] == 0 && !allowZero {
                guard i < input.count else { throw ProbityError.invalidArgument("shape \(target) copies axis \(i) of \(input)") }
                target[i] = input[i]
            }
            if let hole = target.firstIndex(of: -1) {
                let known = target.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
                guard known > 0 else { throw ProbityError.invalidArgument("cannot infer -1 in \(target) for \(input)") }
                target[hole] = input.reduce(1, *) / known
            }
            try reshape(node, c, to: target, type: "Reshape")
        },
        "Flatten": { node, c in
            let input = try c.shape(node, 0)
            let axis = node.int("axis", 1)
            let a = axis < 0 ? axis + input.count : axis
            guard a >= 0 && a <= input.count else { throw ProbityError.invalidArgument("axis \(axis) out of range for \(input)") }
            try reshape(node, c, to: [input[..<a].reduce(1, *), input[a...].reduce(1, *)], type: "Flatten")
        },
        "Squeeze": { node, c in
            let input = try c.shape(node, 0)
            var axes = node.ints("axes")
            if c.opset >= 13, let t = try c.optionalConstant(node, 1, "Squeeze axes") { axes = t.ints }
            let remove = Set(try (axes ?? input.indices.filter { input[$0] == 1 }).map { try IndexMaps.normalizeAxis($0, rank: input.count) })
            for a in remove where input[a] != 1 { throw ProbityError.invalidArgument("cannot squeeze axis \(a) of \(input)") }
            try reshape(node, c, to: input.enumerated().filter { !remove.contains($0.offset) }.map(\.element), type: "Squeeze")
        },
        "Unsqueeze": { node, c in
            let input = try c.shape(node, 0)
            var axes = node.ints("axes") ?? []
            if c.opset >= 13 { axes = try c.constant(node, 1, "Unsqueeze axes").ints }
            let rank = input.count + axes.count
            let inserted = Set(try axes.map { try IndexMaps.normalizeAxis($0, rank: rank) })
            var rest = input.makeIterator()
            try reshape(node, c, to: (0..<rank).map { inserted.contains($0) ? 1 : rest.next()! }, type: "Unsqueeze")
        },
        "Transpose": { node, c in try rearrange(node, c, .transpose(perm: node.ints("perm") ?? [])) },
        "Slice": { node, c in
            var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
            if c.opset < 10 {
                starts = node.ints("starts") ?? []; ends = node.ints("ends") ?? []; axes = node.ints("axes")
            } else {
                starts = try c.constant(node, 1, "Slice starts").ints
                ends = try c.constant(node, 2, "Slice ends").ints
                axes = try c.optionalConstant(node, 3, "Slice axes")?.ints
                steps = try c.optionalConstant(node, 4, "Slice steps")?.ints
            }
            let ax = axes ?? Array(0..<starts.count)
            try rearrange(node, c, .slice(starts: starts, ends: ends, axes: ax, steps: steps ?? .init(repeating: 1, count: starts.count)))
        },
        "Pad": { node, c in
            let rank = try c.shape(node, 0).count
            var pads: [Int], value: Float = 0
            if c.opset < 11 {
                pads = node.ints("pads") ?? node.ints("paddings") ?? []
                value = node.float("value", 0)
            } else {
                pads = try c.constant(node, 1, "Pad pads").ints
                value = try c.optionalConstant(node, 2, "Pad constant_value")?.floats.first ?? 0
                if let axes = try c.optionalConstant(node, 3, "Pad axes")?.ints {
                    var full = [Int](repeating: 0, count: 2 * rank)
                    for (k, a) in axes.enumerated() {
                        let axis = try IndexMaps.normalizeAxis(a, rank: rank)
                        full[axis] = pads[k]; full[axis + rank] = pads[k + axes.count]
                    }
                    pads = full
                }
            }
            let modeName = node.string("mode", "constant")
            guard let mode = IndexMaps.PadMode(rawValue: modeName) else { throw ProbityError.unsupported("Pad mode \(modeName)") }
            try rearrange(node, c, .pad(pads: pads, mode: mode, value: value))
        },
        "Gather": { node, c in
            let indices = try c.constant(node, 1, "Gather indices")
            try rearrange(node, c, .gather(axis: node.int("axis", 0), indices: indices.ints, indicesShape: indices.shape))
        },
        "Expand": { node, c in
            try rearrange(node, c, .expand(shape: try c.constant(node, 1, "Expand shape").ints))
        },
        "Concat": { node, c in
            let axis = node.int("axis", 0)
            let present = node.input.indices.filter { !node.input[$0].isEmpty }
            if c.isConstant(node) {
                let parts = present.compactMap { i -> ImportTensor? in if case .constant(let t)? = c.input(node, i) { return t }; return nil }
                let op = Concat(axis: axis)
                let shape = try op.outputShape(parts.map(\.shape))
                let a = try IndexMaps.normalizeAxis(axis, rank: shape.count)
                let outer = shape[..<a].reduce(1, *)
                if parts.allSatisfy({ !$0.isFloat }) {
                    var out: [Int64] = []
                    for o in 0..<outer { for p in parts { let row = p.shape[a...].reduce(1, *); if case .int(let v) = p.storage { out += v[(o * row)..<((o + 1) * row)] } } }
                    c.bind(node, .constant(ImportTensor(shape: shape, storage: .int(out), dataType: parts[0].dataType)))
                } else {
                    var out: [Float] = []
                    for o in 0..<outer { for p in parts { let row = p.shape[a...].reduce(1, *); out += p.floats[(o * row)..<((o + 1) * row)] } }
                    c.bind(node, .constant(ImportTensor(shape: shape, storage: .float(out), dataType: 1)))
                }
                return
            }
            try c.emit(node, Concat(axis: axis), try present.map { try c.value(node, $0) })
        },
        "Split": { node, c in
            // One Slice per output: the engine's ops have one output each.
            let shape = try c.shape(node, 0)
            let axis = try IndexMaps.normalizeAxis(node.int("axis", 0), rank: shape.count)
            let outputs = node.output.count
            var sizes = node.ints("split")
            if c.opset >= 13, let t = try c.optionalConstant(node, 1, "Split split") { sizes = t.ints }
            if sizes == nil {
                let parts = node.int("num_outputs", outputs)
                let chunk = (shape[axis] + parts - 1) / parts
                sizes = (0..<parts).map { Swift.max(0, Swift.min(chunk, shape[axis] - $0 * chunk)) }
            }
            guard let sizes, sizes.count == outputs, sizes.reduce(0, +) == shape[axis] else {
                throw ProbityError.invalidArgument("split \(sizes ?? []) does not divide extent \(shape[axis]) into \(outputs) outputs")
            }
            var start = 0
            for (k, size) in sizes.enumerated() {
                var part = node
                part.output = [node.output[k]]
                if !node.name.isEmpty { part.name = "\(node.name)#\(k)" }
                part.input = [node.input[0]]
                if !node.output[k].isEmpty {
                    try rearrange(part, c, .slice(starts: [start], ends: [start + size], axes: [axis], steps: [1]))
                }
                start += size
            }
        },
        "Range": { node, c in
            let start = try c.constant(node, 0, "Range start"), limit = try c.constant(node, 1, "Range limit"), delta = try c.constant(node, 2, "Range delta")
            if start.isFloat {
                let s = start.floats[0], l = limit.floats[0], d = delta.floats[0]
                let n = Swift.max(0, Int(((l - s) / d).rounded(.up)))
                c.bind(node, .constant(ImportTensor(shape: [n], storage: .float((0..<n).map { s + Float($0) * d }), dataType: start.dataType)))
            } else {
                let s = start.ints[0], l = limit.ints[0], d = delta.ints[0]
                guard d != 0 else { throw ProbityError.invalidArgument("Range delta 0") }
                let n = Swift.max(0, (l - s + d - (d > 0 ? 1 : -1)) / d)
                c.bind(node, .constant(ImportTensor(ints: (0..<n).map { s + $0 * d })))
            }
        },
    ]
}
