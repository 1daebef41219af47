import Foundation
import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityONNX

/// Small ONNX models built here with the protobuf types, for the importer's error paths and
/// for features the conformance data does not cover (fixed batch, Split, shape folding).
final class ImporterTests: XCTestCase {
    static func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = shape.map { Int64($0) }; t.dataType = 1; t.floatData = values
        return t
    }
    static func ints(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = [Int64(values.count)]; t.dataType = 7; t.int64Data = values
        return t
    }
    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op; n.input = inputs; n.output = outputs; n.name = name; n.attribute = attributes
        return n
    }
    static func intsAttribute(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = values; return a
    }
    static func info(_ name: String, _ dims: [Int?]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = 1
        v.type.tensorType.shape.dim = dims.map { d in var dim = Onnx_TensorShapeProto.Dimension(); if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }; return dim }
        return v
    }
    static func write(_ nodes: [Onnx_NodeProto], inputs: [Onnx_ValueInfoProto], outputs: [String], initializers: [Onnx_TensorProto] = [], opset: Int64 = 13) throws -> String {
        var m = Onnx_ModelProto()
        m.irVersion = 7
        var o = Onnx_OperatorSetIdProto(); o.version = opset
        m.opsetImport = [o]
        m.graph.node = nodes
        m.graph.input = inputs
        m.graph.output = outputs.map { info($0, []) }
        m.graph.initializer = initializers
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probity-onnx-\(UUID().uuidString).onnx").path
        try m.serializedData().write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertError(_ path: String, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try ONNXModel(path: path)
            XCTFail("expected an error", file: file, line: line)
        } catch let error as ProbityError {
            guard case .badInput = error else { return XCTFail("not a bad-input error: \(error)", file: file, line: line) }
            for f in fragments + [path] { XCTAssert(error.description.contains(f), "missing `\(f)` in: \(error)", file: file, line: line) }
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testCorruptFileNamesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt.onnx").path
        try Data([0x08, 0x07, 0x12, 0xFF, 0xFF, 0xFF, 0x01, 0x02]).write(to: URL(fileURLWithPath: path))
        assertError(path, mentions: ["not a valid ONNX model"])
        let lite0 = try Data(contentsOf: URL(fileURLWithPath: Paths.lite0))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cut.onnx").path
        try lite0.prefix(lite0.count / 2).write(to: URL(fileURLWithPath: cut))
        assertError(cut, mentions: ["not a valid ONNX model"])
        assertError("/nonexistent/model.onnx", mentions: ["no such file"])
    }

    /// Every problem is listed at once, each with its node.
    func testUnsupportedOpsAndMissingInputsAreAllListed() throws {
        let path = try ImporterTests.write([
            ImporterTests.node("Relu", ["x"], ["a"], name: "first"),
            ImporterTests.node("Det", ["a"], ["b"], name: "det_1"),
            ImporterTests.node("LSTM", ["b"], ["c"], name: "lstm_1"),
            ImporterTests.node("Add", ["c", "missing_weight"], ["y"], name: "add_1"),
        ], inputs: [ImporterTests.info("x", [nil, 3, 4, 4])], outputs: ["y"])
        assertError(path, mentions: ["unsupported op Det at det_1 (Det)", "unsupported op LSTM at lstm_1 (LSTM)", "add_1 (Add) reads missing_weight"])
    }

    func testCycleIsReported() throws {
        let path = try ImporterTests.write([
            ImporterTests.node("Relu", ["x", "b"], ["a"], name: "r1"),
            ImporterTests.node("Relu", ["a"], ["b"], name: "r2"),
        ], inputs: [ImporterTests.info("x", [1, 3, 2, 2])], outputs: ["b"])
        assertError(path, mentions: ["cycle"])
    }

    /// A fixed-batch export (batch 1 declared) runs any number of samples, in chunks of 1;
    /// a Split becomes one Slice per output; shape arithmetic folds away.
    func testFixedBatchSplitAndShapeFolding() throws {
        let path = try ImporterTests.write([
            ImporterTests.node("Split", ["x", "sizes"], ["p", "q"], name: "split", attributes: [{ var a = Onnx_AttributeProto(); a.name = "axis"; a.type = .int; a.i = 1; return a }()]),
            ImporterTests.node("Mul", ["p", "q"], ["m"]),
            ImporterTests.node("Shape", ["m"], ["s"]),
            ImporterTests.node("Gather", ["s", "zero"], ["n"]),
            ImporterTests.node("Concat", ["n", "minus1"], ["target"], attributes: [{ var a = Onnx_AttributeProto(); a.name = "axis"; a.type = .int; a.i = 0; return a }()]),
            ImporterTests.node("Reshape", ["m", "target"], ["y"]),
        ], inputs: [ImporterTests.info("x", [1, 4, 2, 2])], outputs: ["y"],
           initializers: [ImporterTests.ints("sizes", [2, 2]), ImporterTests.ints("zero", [0]), ImporterTests.ints("minus1", [-1])])
        let model = try ONNXModel(path: path)
        XCTAssertEqual(model.fixedBatch, 1)
        var rng = RNG(seed: 1)
        let x = rng.normalTensor(shape: [3, 4, 2, 2])
        let y = try model.logits(x)
        XCTAssertEqual(y.shape, [3, 8])
        for s in 0..<3 { for c in 0..<2 { for i in 0..<4 {
            XCTAssertEqual(y[s, c * 4 + i], x.storage[s * 16 + c * 4 + i] * x.storage[s * 16 + (c + 2) * 4 + i])
        } } }
        XCTAssertEqual(try model.graph(batch: 1).nodes.map(\.op.type), ["Slice", "Slice", "Mul", "Reshape"], "shape subgraph folded away")
    }

    /// The logic and scatter ops transformer exports use on constants are folded at import:
    /// ScatterND([0, 0, 0, 0], [[1], [3]], [5, 7]) = [0, 5, 0, 7]; Mod by 3 = [0, 2, 0, 1]; Equal to
    /// 0 = [1, 0, 1, 0]; Where(·, 10, ·) = [10, 2, 10, 1] (ONNX's semantics, worked by hand); only
    /// the Mul reading the input is left to run.
    func testScatterModEqualWhereFoldAtImport() throws {
        var indices = ImporterTests.ints("indices", [1, 3]); indices.dims = [2, 1]
        let path = try ImporterTests.write([
            ImporterTests.node("ScatterND", ["zeros", "indices", "updates"], ["s"]),
            ImporterTests.node("Mod", ["s", "three"], ["m"]),
            ImporterTests.node("Equal", ["m", "zero"], ["e"]),
            ImporterTests.node("Where", ["e", "ten", "m"], ["w"]),
            ImporterTests.node("Cast", ["w"], ["c"], attributes: [{ var a = Onnx_AttributeProto(); a.name = "to"; a.type = .int; a.i = 1; return a }()]),
            ImporterTests.node("Mul", ["x", "c"], ["p"]),
            ImporterTests.node("Flatten", ["p"], ["y"]),
        ], inputs: [ImporterTests.info("x", [nil, 1, 1, 4])], outputs: ["y"],
           initializers: [ImporterTests.ints("zeros", [0, 0, 0, 0]), indices, ImporterTests.ints("updates", [5, 7]),
                          ImporterTests.ints("three", [3]), ImporterTests.ints("zero", [0]), ImporterTests.ints("ten", [10])])
        let model = try ONNXModel(path: path)
        var rng = RNG(seed: 2)
        let x = rng.normalTensor(shape: [2, 1, 1, 4])
        let y = try model.logits(x)
        for s in 0..<2 { for (i, k) in [Float(10), 2, 10, 1].enumerated() { XCTAssertEqual(y[s, i], x.storage[s * 4 + i] * k) } }
        XCTAssertEqual(try model.graph(batch: 1).nodes.map(\.op.type), ["Mul", "Flatten"], "logic and scatter folded away")
    }

    /// Weights in an external file are read from beside the model; a location outside the model's
    /// folder, a missing file and a range past the file's end are refused, naming the tensor.
    func testExternalDataStaysBesideTheModel() throws {
        func model(location: String, offset: String = "0", length: String = "16") throws -> String {
            var w = Onnx_TensorProto()
            w.name = "w"; w.dims = [4]; w.dataType = 1; w.dataLocation = .external
            w.externalData = [("location", location), ("offset", offset), ("length", length)].map { k, v in var e = Onnx_StringStringEntryProto(); e.key = k; e.value = v; return e }
            return try ImporterTests.write([ImporterTests.node("Mul", ["x", "w"], ["p"]), ImporterTests.node("Flatten", ["p"], ["y"])],
                                           inputs: [ImporterTests.info("x", [nil, 1, 1, 4])], outputs: ["y"], initializers: [w])
        }
        let path = try model(location: "weights.bin", offset: "4")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var bytes = Data()
        for v: Float in [9, 1, 2, 3, 4] { withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) } }
        try bytes.write(to: folder.appendingPathComponent("weights.bin"))
        let y = try ONNXModel(path: path).logits(Tensor(shape: [1, 1, 1, 4], storage: [1, 1, 1, 1]))
        XCTAssertEqual(y.storage, [1, 2, 3, 4], "the 16 bytes after offset 4")
        assertError(try model(location: "../weights.bin"), mentions: ["initializer w", "leaves the model's folder"])
        assertError(try model(location: "/etc/passwd"), mentions: ["leaves the model's folder"])
        assertError(try model(location: "absent.bin"), mentions: ["is missing"])
        assertError(try model(location: "weights.bin", offset: "8"), mentions: ["reach past its end"])
    }
}
