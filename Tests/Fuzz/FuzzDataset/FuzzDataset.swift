import Foundation
import FuzzSupport
import ProbityData

/// libFuzzer target: the dataset reader (HDF5 through libhdf5, the schema checks, metadata,
/// one sample's pixels and model input, ground truth) on arbitrary bytes. `HDF5StringGuard` is
/// off here, so libhdf5's loops and crashes on damaged global heaps show up as libFuzzer
/// timeouts and crashes; `make fuzz` runs this target in fork mode past them and then checks
/// that Probity itself refuses each such file with status 2 and no crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    HDF5StringGuard.enabled = false
    let path = FuzzFile.write(data, size, suffix: ".h5")
    if let file = try? HDF5File(path: path) { _ = DatasetSchema.violations(of: file, deep: true) }
    guard let dataset = try? Dataset(path: path) else { return 0 }
    _ = try? dataset.pixels(0..<1)
    _ = try? dataset.modelInput(0..<1)
    _ = try? dataset.groundTruth(sample: 0, target: dataset.labels.first ?? 0)
    return 0
}

@_cdecl("FuzzDataset_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { fuzzMain(argc, argv, fuzzDataset) }
