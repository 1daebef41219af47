import Foundation
import ProbityCore
import ProbityEngine
import SwiftProtobuf

/// Turns an ONNX model into an engine `Graph` for one input shape.
///
/// Every node whose inputs are all known at import time (weights, `Constant`s, the shapes of
/// float values) is evaluated here — exported models are full of Shape/Slice/Concat/
/// ConstantOfShape padding subgraphs whose int64 tensors never reach the engine. What remains
/// is a graph of float ops with every shape known. One converter per ONNX op type, in a
/// registry keyed by op name (`ONNXImporter.converters`).
public struct ONNXImporter: Sendable {
    public let file: String
    public let model: Onnx_ModelProto
    public let opset: Int

    /// Parses the model file; checks that the graph is well formed and every op is supported.
    /// All problems are reported together, each with its node name.
    public init(path: String) throws {
        file = path
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ProbityError.badFile(path, "not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else { throw ProbityError.badFile(path, "not a valid ONNX model (no graph or no nodes)") }
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 13)
        try check()
    }

    /// A model already parsed, taken as it is (no `check()`): for looking at the parts of a
    /// graph that `init(path:)` would refuse, such as the node order of a cyclic one.
    init(model: Onnx_ModelProto, file: String) {
        self.file = file
        self.model = model
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 13)
    }

    /// Names of the graph's real inputs (those that are not initializers).
    public var inputNames: [String] {
        let initializers = Set(model.graph.initializer.map(\.name))
        return model.graph.input.map(\.name).filter { !initializers.contains($0) }
    }

    /// The declared shape of input `i`; symbolic or missing extents are nil.
    public func declaredShape(input i: Int = 0) -> [Int?] {
        let name = inputNames[i]
        guard let info = model.graph.input.first(where: { $0.name == name }) else { return [] }
        return info.type.tensorType.shape.dim.map { $0.dimValue > 0 ? Int($0.dimValue) : nil }
    }

    /// Unsupported ops, missing inputs, unsorted or cyclic graphs: every problem, each with its node.
    func check() throws {
        var problems: [String] = []
        var unsupported: [String: [String]] = [:]
        // ONNX requires nodes sorted; any order without cycles is accepted.
        let (_, pending, known) = topologicalOrder()
        for node in model.graph.node {
            if !(node.domain.isEmpty || node.domain == "ai.onnx") || ONNXImporter.converters[node.opType] == nil {
                unsupported[node.opType.isEmpty ? "?" : (node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"), default: []].append(node.label)
            }
        }
        for (op, nodes) in unsupported.sorted(by: { $0.key < $1.key }) {
            problems.append("unsupported op \(op) at \(nodes.prefix(5).joined(separator: ", "))\(nodes.count > 5 ? " and \(nodes.count - 5) more" : "")")
        }
        if !pending.isEmpty {
            // Nodes that read a name nothing provides; the nodes after them are not named.
            let produced = Set(model.graph.node.flatMap(\.output))
            let orphans = pending.compactMap { node -> String? in
                let missing = node.input.filter { !known.contains($0) && !produced.contains($0) }
                return missing.isEmpty ? nil : "node \(node.label) reads \(missing.joined(separator: ", ")), which no initializer, input or node provides"
            }
            if !orphans.isEmpty {
                problems += orphans.prefix(10)
            } else {
                // The rest wait on a cycle: name it, without what only comes after it.
                let cycle = ONNXImporter.cycle(among: pending)
                let names = cycle.prefix(10).map(\.label).joined(separator: ", ") + (cycle.count > 10 ? " and \(cycle.count - 10) more" : "")
                problems.append(cycle.count == 1 ? "node \(names) reads its own output (a cycle)" : "nodes \(names) form a cycle")
            }
        }
        if model.graph.output.isEmpty { problems.append("the graph declares no output (a classifier's scores)") }
        let silent = model.graph.node.filter { ($0.output.first ?? "").isEmpty }
        if !silent.isEmpty {
            problems.append("node\(silent.count > 1 ? "s" : "") \(silent.prefix(5).map(\.label).joined(separator: ", ")) name\(silent.count > 1 ? "" : "s") no output")
        }
        for out in model.graph.output where !known.contains(out.name) && !model.graph.node.contains(where: { $0.output.contains(out.name) }) {
            problems.append("graph output \(out.name) is never computed")
        }
        if !problems.isEmpty {
            throw ProbityError.badFile(file, problems.joined(separator: "; "))
        }
    }

    /// Builds the float graph for inputs of `shapes` (one per real input). Inputs named in
    /// `constants` are bound to those values at import time instead (tests feed integer
    /// parameters such as Reshape's shape this way).
    public func graph(inputShapes shapes: [[Int]], logits: Bool = false) throws -> Graph {
        try graph(inputShapes: shapes, constants: [:], logits: logits)
    }

    /// The node that computes graph output `name` when it is a `Softmax` or `LogSoftmax`:
    /// the model then outputs probabilities, and Probity wants their logits.
    public func finalSoftmax(_ name: String? = nil) -> (op: String, node: String, input: String)? {
        guard let out = name ?? model.graph.output.first?.name,
              let node = model.graph.node.last(where: { $0.output.first == out }),
              ["Softmax", "LogSoftmax"].contains(node.opType), let input = node.input.first else { return nil }
        return (node.opType, node.label, input)
    }

    /// With `logits`, a graph output computed by a final `Softmax`/`LogSoftmax` is replaced by
    /// that node's input (metrics and explainers apply the softmax themselves where they score
    /// probabilities, so a model exported with its softmax would otherwise get it twice).
    func graph(inputShapes shapes: [[Int]], constants: [String: ImportTensor], logits: Bool = false) throws -> Graph {
        let names = inputNames.filter { constants[$0] == nil }
        guard shapes.count == names.count else {
            throw ProbityError.invalidArgument("\(file): the model has \(names.count) inputs (\(names.joined(separator: ", "))), got \(shapes.count) shapes")
        }
        let context = ImportContext(file: file, opset: opset)
        for t in model.graph.initializer {
            context.bindings[t.name] = .constant(try ImportTensor(proto: t, file: file))
        }
        for (name, t) in constants {
            let declaredType = model.graph.input.first { $0.name == name }?.type.tensorType.elemType ?? 0
            if declaredType != 0 && ImportTensor.isFloatType(declaredType) != t.isFloat || ![0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13].contains(declaredType) {
                throw ProbityError.badInput(file: file, location: "input \(name)", problem: "declared element type \(declaredType) is not supported or does not match the value given")
            }
            context.bindings[name] = .constant(t)
        }
        for (i, name) in names.enumerated() {
            let declared = declaredShape(input: inputNames.firstIndex(of: name)!)
            let type = model.graph.input.first { $0.name == name }?.type.tensorType
            let declaredType = type?.elemType ?? 1
            guard ImportTensor.isFloatType(declaredType) else {
                throw ProbityError.badInput(file: file, location: "input \(name)", problem: "element type \(declaredType) is not supported for a computed input (float, double and float16 are)")
            }
            if type?.hasShape ?? false, declared.count != shapes[i].count || zip(declared, shapes[i]).contains(where: { $0 != nil && $0 != $1 }) {
                throw ProbityError.invalidArgument("\(file): input \(name) is declared \(declared.map { $0.map(String.init) ?? "?" }), got \(shapes[i])")
            }
            let id = context.graph.addValue(name: name, shape: shapes[i])
            context.graph.inputs.append(id)
            context.bindings[name] = .runtime(id)
        }
        for node in topologicalOrder().order {
            guard let convert = ONNXImporter.converters[node.opType] else { continue }
            do {
                try convert(node, context)
            } catch let error as ProbityError {
                switch error {
                case .badInput: throw error
                default: throw ProbityError.badInput(file: file, location: "node \(node.label)", problem: error.description)
                }
            }
        }
        for out in model.graph.output {
            let name = logits ? finalSoftmax(out.name)?.input ?? out.name : out.name
            switch context.bindings[name] {
            case .runtime(let id): context.graph.outputs.append(id)
            case .constant(let t):
                let id = context.graph.addValue(name: out.name, shape: t.shape, constant: t.tensor)
                context.graph.outputs.append(id)
            case nil: throw ProbityError.badInput(file: file, location: out.name, problem: "graph output is never computed")
            }
        }
        // Every value a node reads must be an input, a constant or another node's output: the
        // engine has no memory for anything else.
        let produced = Set(context.graph.inputs).union(context.graph.nodes.map(\.output))
        for node in context.graph.nodes {
            if let v = node.inputs.first(where: { !produced.contains($0) && context.graph.values[$0].constant == nil }) {
                throw ProbityError.badInput(file: file, location: "node \(node.name)", problem: "reads \(context.graph.values[v].name), which nothing computes")
            }
        }
        return context.graph
    }
}

/// What an ONNX name stands for during import.
enum Binding {
    /// A float value computed when the graph runs (an engine value id).
    case runtime(Int)
    /// A value known at import time.
    case constant(ImportTensor)
}

/// State of one import: bindings of ONNX names and the graph being built.
final class ImportContext {
    let file: String
    let opset: Int
    var graph = Graph()
    var bindings: [String: Binding] = [:]
    /// Engine value ids of constants already placed in the graph, by ONNX name.
    var placed: [String: Int] = [:]
    let scratch = ExecutionContext(threads: 1)

    init(file: String, opset: Int) { self.file = file; self.opset = opset }

    /// The binding of input `i` of `node`, or nil when absent or the empty name (optional input).
    func input(_ node: Onnx_NodeProto, _ i: Int) -> Binding? {
        guard i < node.input.count, !node.input[i].isEmpty else { return nil }
        return bindings[node.input[i]]
    }

    /// Input `i` as a constant; throws when it is computed at run time.
    func constant(_ node: Onnx_NodeProto, _ i: Int, _ what: String) throws -> ImportTensor {
        guard case .constant(let t)? = input(node, i) else {
            throw ProbityError.unsupported("\(what) (input \(i)) must be known when the model is imported, but it is computed at run time")
        }
        return t
    }

    func optionalConstant(_ node: Onnx_NodeProto, _ i: Int, _ what: String) throws -> ImportTensor? {
        input(node, i) == nil ? nil : try constant(node, i, what)
    }

    func isConstant(_ node: Onnx_NodeProto) -> Bool {
        node.input.indices.allSatisfy { i in
            if node.input[i].isEmpty { return true }
            if case .constant = bindings[node.input[i]] { return true }
            return false
        }
    }

    func shape(_ node: Onnx_NodeProto, _ i: Int) throws -> [Int] {
        switch input(node, i) {
        case .runtime(let id): return graph.values[id].shape
        case .constant(let t): return t.shape
        case nil: throw ProbityError.invalidArgument("missing input \(i)")
        }
    }

    /// Input `i` as an engine value id (constants are placed in the graph once).
    func value(_ node: Onnx_NodeProto, _ i: Int) throws -> Int {
        switch input(node, i) {
        case .runtime(let id): return id
        case .constant(let t):
            let name = node.input[i]
            if let id = placed[name] { return id }
            let id = graph.addValue(name: name, shape: t.shape, constant: t.tensor)
            placed[name] = id
            return id
        case nil: throw ProbityError.invalidArgument("missing input \(i)")
        }
    }

    /// Adds `op` reading `inputs`, bound to the node's first output. If every input is a
    /// constant, the op runs now and its result is bound as a constant instead.
    func emit(_ node: Onnx_NodeProto, _ op: any Operator, _ inputs: [Int]) throws {
        let shapes = inputs.map { graph.values[$0].shape }
        if inputs.allSatisfy({ graph.values[$0].constant != nil }) {
            let outShape = try op.outputShape(shapes)
            var out = Tensor(shape: outShape)
            let tensors = inputs.map { graph.values[$0].constant! }
            let planned = op.planned(for: shapes)
            try withViews(tensors) { views in
                out.storage.withUnsafeMutableBufferPointer { p in
                    planned.forward(views, MutableView(pointer: p.baseAddress!, shape: outShape), scratch)
                }
            }
            bind(node, .constant(ImportTensor(out)))
            return
        }
        let name = node.name.isEmpty ? node.output[0] : node.name
        let id = try graph.addNode(name: name, op: op, inputs: inputs, outputName: node.output[0])
        bind(node, .runtime(id))
    }

    func bind(_ node: Onnx_NodeProto, _ binding: Binding) {
        bindings[node.output[0]] = binding
    }

    func withViews<R>(_ tensors: [Tensor], _ body: ([ConstView]) throws -> R) throws -> R {
        var pointers: [UnsafeMutablePointer<Float>] = []
        defer { pointers.forEach { $0.deallocate() } }
        var views: [ConstView] = []
        for t in tensors {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(t.count, 1))
            t.storage.withUnsafeBufferPointer { if t.count > 0 { p.update(from: $0.baseAddress!, count: t.count) } }
            pointers.append(p)
            views.append(ConstView(pointer: UnsafePointer(p), shape: t.shape))
        }
        return try body(views)
    }
}
