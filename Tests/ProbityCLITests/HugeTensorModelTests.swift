import Foundation
import XCTest
import ProbityONNX

/// ONNX files whose tensors declare absurd sizes (10¹² elements) are refused with one line
/// naming the file, before anything that size is allocated: an initializer whose dims do not
/// match its data, and an input whose fixed height and width make every activation enormous.
final class HugeTensorModelTests: XCTestCase {
    func testAbsurdDeclaredSizesAreRefused() throws {
        let dir = try CLI.scratch()
        let plain = try ONNXImporter(path: CLI.repository.appendingPathComponent("models/shapes_cnn.onnx").path).model

        var weights = plain
        let k = try XCTUnwrap(weights.graph.initializer.firstIndex { $0.dims.count == 4 })
        weights.graph.initializer[k].dims = [1_000_000, 1_000_000, 1, 1]
        try weights.serializedData().write(to: URL(fileURLWithPath: dir + "/weights.onnx"))

        var input = plain
        var dims = input.graph.input[0].type.tensorType.shape.dim
        dims[2].dimValue = 1_000_000; dims[3].dimValue = 1_000_000
        input.graph.input[0].type.tensorType.shape.dim = dims
        try input.serializedData().write(to: URL(fileURLWithPath: dir + "/input.onnx"))

        for (file, fragment) in [("weights.onnx", "1000000"), ("input.onnx", "1000000")] {
            for arguments in [["model", "info", dir + "/" + file], ["model", "predict", dir + "/" + file, "--dataset", "datasets/shapes.h5", "--indices", "0"]] {
                let r = try CLI.run(arguments)
                XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssert(r.stderr.hasPrefix("probity: error: ") && r.stderr.contains(file) && r.stderr.contains(fragment), r.stderr)
            }
        }
    }
}
