import Foundation
import FuzzSupport
import ProbityCore
import ProbityONNX

/// libFuzzer target: the ONNX parser, importer and planner on arbitrary bytes, then one forward
/// pass when the model plans. Any outcome but a thrown error or a result is a finding (a trap,
/// a crash, an allocation past libFuzzer's -rss_limit_mb, a hang past -timeout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let path = FuzzFile.write(data, size, suffix: ".onnx")
    guard let model = try? ONNXModel(path: path, inputShape: [3, 8, 8], maxBatch: 1, threads: 1) else { return 0 }
    let shape = [1] + model.inputShape
    guard shape.reduce(1, *) <= 1 << 20 else { return 0 }
    _ = try? model.logits(Tensor(shape: shape))
    return 0
}

@_cdecl("FuzzONNX_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { fuzzMain(argc, argv, fuzzONNX) }
