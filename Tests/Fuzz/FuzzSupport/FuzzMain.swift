import CFuzzer

/// Runs libFuzzer on `target`. SwiftPM links every executable's entry point as
/// `<module>_main`, so each fuzz target defines that symbol and calls this instead of relying on
/// libFuzzer's own `main`.
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                     _ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, target)
}
