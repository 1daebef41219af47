import Foundation
import FuzzSupport
import ProbityData

/// libFuzzer target: the PNG decoder (header, then pixels) on arbitrary bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = bytes else { return 0 }
    let path = FuzzFile.write(data, size, suffix: ".png")
    _ = try? PNGImage.header(of: path)
    if let image = try? PNGImage(contentsOf: path) { _ = image.converted(channels: image.channels == 3 ? 1 : 3) }
    return 0
}

@_cdecl("FuzzPNG_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { fuzzMain(argc, argv, fuzzPNG) }
