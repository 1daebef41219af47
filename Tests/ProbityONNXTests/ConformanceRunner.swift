import Foundation
import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// Runs one test case of ONNX's backend test data (`model.onnx` and `test_data_set_*/
/// {input,output}_*.pb`) and compares with ONNX's tolerances: |got − want| ≤ atol + rtol·|want|,
/// rtol 1e-3, atol 1e-7.
enum ConformanceRunner {
    static let root = "/usr/share/libonnx-testdata/data"
    static let rtol: Float = 1e-3, atol: Float = 1e-7

    struct Outcome {
        var passed: Bool
        var detail: String
    }

    static func loadTensor(_ path: String) throws -> (name: String, tensor: ImportTensor) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let proto = try Onnx_TensorProto(serializedBytes: data)
        return (proto.name, try ImportTensor(proto: proto, file: path))
    }

    /// The op types a test's model uses.
    static func opTypes(_ test: String) throws -> Set<String> {
        let importer = try? ONNXImporter(path: "\(root)/\(test)/model.onnx")
        if let importer { return Set(importer.model.graph.node.map(\.opType)) }
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(test)/model.onnx"))
        let model = try Onnx_ModelProto(serializedBytes: data)
        return Set(model.graph.node.map(\.opType))
    }

    static func run(_ test: String) -> Outcome {
        do {
            let dir = "\(root)/\(test)"
            let importer = try ONNXImporter(path: dir + "/model.onnx")
            let sets = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("test_data_set_") }.sorted()
            guard !sets.isEmpty else { return Outcome(passed: false, detail: "no test data") }
            for set in sets {
                let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(set)").sorted { a, b in
                    a.count != b.count ? a.count < b.count : a < b
                }
                let inputs = try files.filter { $0.hasPrefix("input_") }.map { try loadTensor("\(dir)/\(set)/\($0)") }
                let outputs = try files.filter { $0.hasPrefix("output_") }.map { try loadTensor("\(dir)/\(set)/\($0)") }
                let names = importer.inputNames
                guard names.count == inputs.count else { return Outcome(passed: false, detail: "\(inputs.count) inputs for \(names.count) graph inputs") }
                // Integer inputs are parameters: bind them at import. Float inputs run through the
                // kernels; if an op needs one at import time (Clip bounds), bind all but the first.
                var constants: [String: ImportTensor] = [:]
                for (name, (_, t)) in zip(names, inputs) where !t.isFloat { constants[name] = t }
                var graph: Graph
                do {
                    graph = try importer.graph(inputShapes: zip(names, inputs).filter { constants[$0.0] == nil }.map { $0.1.1.shape }, constants: constants)
                } catch let error as ProbityError where error.description.contains("must be known when the model is imported") {
                    for (name, (_, t)) in zip(names, inputs).dropFirst() { constants[name] = t }
                    graph = try importer.graph(inputShapes: zip(names, inputs).filter { constants[$0.0] == nil }.map { $0.1.1.shape }, constants: constants)
                }
                let runtime = zip(names, inputs).filter { constants[$0.0] == nil }.map { $0.1.1.tensor }
                for optimized in [false, true] {
                    let g = optimized ? Planner.optimize(graph) : graph
                    let got = try Plan(g, context: ExecutionContext(threads: 2)).run(runtime)
                    guard got.count >= outputs.count else { return Outcome(passed: false, detail: "\(got.count) outputs, expected \(outputs.count)") }
                    for (k, (_, want)) in outputs.enumerated() {
                        let have = got[k]
                        guard have.shape == want.shape else { return Outcome(passed: false, detail: "output \(k) shape \(have.shape), expected \(want.shape)") }
                        let w = want.floats   // integer outputs (folded shape values) must match exactly
                        let exact = !want.isFloat
                        for i in 0..<w.count {
                            let a = have.storage[i], b = w[i]
                            if a == b || (a.isNaN && b.isNaN) { continue }
                            if exact { return Outcome(passed: false, detail: "\(set) output \(k)[\(i)] = \(a), expected exactly \(b)") }
                            if !(abs(a - b) <= atol + rtol * abs(b)) {
                                return Outcome(passed: false, detail: "\(set) output \(k)[\(i)] = \(a), expected \(b)\(optimized ? " (optimized graph)" : "")")
                            }
                        }
                    }
                }
            }
            return Outcome(passed: true, detail: "")
        } catch {
            return Outcome(passed: false, detail: "\(error)")
        }
    }
}
