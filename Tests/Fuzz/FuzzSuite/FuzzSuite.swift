import Foundation
import FuzzSupport
import ProbityHarness

/// libFuzzer target: the suite parser (YAML, keys, types, explainer and metric specs and their
/// options) and the gate policy parser on arbitrary text. The folder holds `d.h5`, `m.onnx`
/// and `g.yaml`, so inputs that name them get past the file checks to everything after.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSuite(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let dir = FuzzFile.directory
    for name in ["d.h5", "m.onnx", "g.yaml"] where !FileManager.default.fileExists(atPath: dir + "/" + name) {
        _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())
    }
    if let suite = try? Suite(yaml: text, path: dir + "/suite.yaml") {
        _ = try? suite.makeExplainers()
        _ = try? suite.makeMetrics()
    }
    _ = try? GatePolicy(yaml: text, path: dir + "/policy.yaml")
    return 0
}

@_cdecl("FuzzSuite_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { fuzzMain(argc, argv, fuzzSuite) }
