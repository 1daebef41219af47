import Foundation
import ProbityCore
import ProbityEngine
import SwiftProtobuf

/// Writes an engine graph as an ONNX model (opset 13, float32 weights as `raw_data`
/// initializers), so models trained by Probity run in ONNX Runtime and PyTorch tools.
///
/// The batch axis of the input and output is exported as the symbolic extent `N`; shapes that
/// a Reshape/Flatten baked in for the graph's batch are exported as Flatten (axis 1). A fused
/// activation becomes a node of its own after its Conv or Gemm.
public enum ONNXExporter {
    public static let opset: Int64 = 13

    public static func export(_ graph: Graph, to path: String, producer: String = "probity", docString: String = "") throws {
        let model = try modelProto(graph, producer: producer, docString: docString)
        let data: Data = try model.serializedData()
        try AtomicFile.write(data, to: path)
    }

    public static func modelProto(_ graph: Graph, producer: String = "probity", docString: String = "") throws -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = "probity"
        var initialized = Set<Int>()
        func name(_ v: Int) -> String { graph.values[v].name }
        for node in graph.nodes {
            for v in node.inputs where graph.values[v].constant != nil && !initialized.contains(v) {
                initialized.insert(v)
                g.initializer.append(tensorProto(graph.values[v].constant!, name: name(v)))
            }
            var emitted = try nodes(for: node, graph: graph)
            for k in emitted.indices where emitted[k].name.isEmpty { emitted[k].name = node.name + (k == 0 ? "" : "/\(k)") }
            g.node.append(contentsOf: emitted)
        }
        g.input = graph.inputs.map { valueInfo(name($0), shape: graph.values[$0].shape) }
        g.output = graph.outputs.map { valueInfo(name($0), shape: graph.values[$0].shape) }
        var m = Onnx_ModelProto()
        m.irVersion = 7
        m.producerName = producer
        m.docString = docString
        var op = Onnx_OperatorSetIdProto()
        op.version = opset
        m.opsetImport = [op]
        m.graph = g
        return m
    }

    static func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = 1
        var s = Onnx_TensorShapeProto()
        s.dim = shape.enumerated().map { i, d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if i == 0 { dim.dimParam = "N" } else { dim.dimValue = Int64(d) }
            return dim
        }
        t.shape = s
        info.type.tensorType = t
        return info
    }

    static func tensorProto(_ t: Tensor, name: String) -> Onnx_TensorProto {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = t.shape.map(Int64.init)
        p.dataType = 1
        p.rawData = t.storage.withUnsafeBufferPointer { Data(buffer: $0) }   // little-endian on every platform Swift runs on
        return p
    }

    static func attribute(_ name: String, ints: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = ints.map(Int64.init); return a
    }
    static func attribute(_ name: String, int: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(int); return a
    }
    static func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = float; return a
    }

    static func node(_ type: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto(); n.opType = type; n.input = inputs; n.output = [output]; n.attribute = attributes; return n
    }

    /// The ONNX node(s) for one engine node.
    static func nodes(for n: Node, graph: Graph) throws -> [Onnx_NodeProto] {
        let ins = n.inputs.map { graph.values[$0].name }
        let out = graph.values[n.output].name
        func withActivation(_ main: Onnx_NodeProto, _ kind: Activation.Kind) throws -> [Onnx_NodeProto] {
            if kind == .identity { return [main] }
            var first = main
            first.output = [out + "/pre_activation"]
            return [first] + (try activationNodes(kind, input: out + "/pre_activation", output: out))
        }
        switch n.op {
        case let c as Conv:
            let w = graph.values[n.inputs[1]].shape
            let main = node("Conv", ins, out, [attribute("kernel_shape", ints: [w[2], w[3]]), attribute("strides", ints: [c.strides.0, c.strides.1]),
                                              attribute("dilations", ints: [c.dilations.0, c.dilations.1]),
                                              attribute("pads", ints: [c.pads.0, c.pads.1, c.pads.2, c.pads.3]), attribute("group", int: c.group)])
            return try withActivation(main, c.activation)
        case let gm as Gemm:
            let main = node("Gemm", ins, out, [attribute("alpha", float: gm.alpha), attribute("beta", float: gm.beta),
                                              attribute("transA", int: gm.transA ? 1 : 0), attribute("transB", int: gm.transB ? 1 : 0)])
            return try withActivation(main, gm.activation)
        case let a as Activation:
            return try activationNodes(a.kind, input: ins[0], output: out)
        case let p as Pool:
            var attrs = [attribute("kernel_shape", ints: [p.kernel.0, p.kernel.1]), attribute("strides", ints: [p.strides.0, p.strides.1]),
                         attribute("pads", ints: [p.pads.0, p.pads.1, p.pads.2, p.pads.3]), attribute("ceil_mode", int: p.ceilMode ? 1 : 0)]
            switch p.kind {
            case .max: attrs.append(attribute("dilations", ints: [p.dilations.0, p.dilations.1]))
            case .average(let include): attrs.append(attribute("count_include_pad", int: include ? 1 : 0))
            }
            return [node(p.type, ins, out, attrs)]
        case let gp as GlobalPool:
            return [node(gp.type, ins, out)]
        case let r as Reshape:
            let inShape = graph.values[n.inputs[0]].shape
            guard r.shape.count == 2, r.shape[0] == inShape[0] else {
                throw ProbityError.unsupported("export of \(r.type) to \(r.shape) (only flattening to [N, features])")
            }
            return [node("Flatten", ins, out, [attribute("axis", int: 1)])]
        case let b as Binary:
            return [node(b.type, ins, out, b.kind == .fmod ? [attribute("fmod", int: 1)] : [])]
        case let bn as BatchNorm:
            return [node("BatchNormalization", ins, out, [attribute("epsilon", float: bn.epsilon)])]
        case let s as Softmax where !s.coerced2D:
            return [node(s.type, ins, out, [attribute("axis", int: s.axis)])]
        default:
            throw ProbityError.unsupported("ONNX export of \(n.op.type) (node \(n.name))")
        }
    }

    static func activationNodes(_ kind: Activation.Kind, input: String, output: String) throws -> [Onnx_NodeProto] {
        switch kind {
        case .identity: return [node("Identity", [input], output)]
        case .relu: return [node("Relu", [input], output)]
        case .leakyRelu(let alpha): return [node("LeakyRelu", [input], output, [attribute("alpha", float: alpha)])]
        case .sigmoid: return [node("Sigmoid", [input], output)]
        case .tanh: return [node("Tanh", [input], output)]
        case .hardSigmoid(let alpha, let beta):
            return [node("HardSigmoid", [input], output, [attribute("alpha", float: alpha), attribute("beta", float: beta)])]
        case .hardSwish: return [node("HardSwish", [input], output)]
        case .clip:
            throw ProbityError.unsupported("ONNX export of Clip (its bounds are inputs from opset 11 on; not needed by Probity's architectures)")
        }
    }
}
