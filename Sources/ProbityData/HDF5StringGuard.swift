import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Guards libhdf5's reads of variable-length strings (class and sample names, string
/// attributes). Such strings live in the file's global heap, and libhdf5 1.10 (Debian 12's)
/// can loop for ever or crash with SIGSEGV on a damaged one (both found by `make fuzz`:
/// `Tests/Fixtures/bad/fuzz_global_heap_loop.h5`, `fuzz_global_heap_segv.h5`). Neither a C loop
/// nor a fault inside C can be recovered from in Swift, so while such a read runs:
///
/// - a watchdog ends the process after `limit` seconds (names read in milliseconds);
/// - a SIGSEGV/SIGBUS handler ends it at once (the previous handlers come back afterwards);
///
/// each with the one-line error every command prints for bad input, naming the file and the
/// object, and exit status 2. The address space is capped meanwhile (`AddressSpaceCap`, with
/// `HDF5File.maxReadBytes` of headroom): a damaged string length makes libhdf5 allocate and
/// clear up to 4 GiB before it reads the string; under the cap that allocation fails and so
/// does the read (`Tests/Fixtures/bad/string_length_4g.h5`, `attribute_length_4g.h5`).
/// Results already written stay (writes are atomic). `_exit`, not `exit`: libhdf5's exit
/// handlers must not run while it is mid-call, and a signal handler may only call
/// async-signal-safe functions (`write`, `_exit`).
public enum HDF5StringGuard {
    /// Off in the fuzz target, so libFuzzer sees libhdf5's loops and crashes for what they are.
    nonisolated(unsafe) public static var enabled = true
    public static let limit: Double = 5

    /// The line the fault handler writes, prepared before the read.
    nonisolated(unsafe) static var faultLine: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var faultLength = 0

    static func line(_ file: String, _ location: String, _ what: String) -> String {
        "probity: error: \(file): \(location): libhdf5 \(what) reading its strings (a damaged global heap)\n"
    }

    /// Runs `body` guarded; `capped` says whether the address-space cap was in force.
    static func run<T>(_ file: String, _ location: String, _ body: () -> T) -> (result: T, capped: Bool) {
        guard enabled else { return (body(), false) }
        let stuck = line(file, location, "did not finish")
        let alarm = DispatchWorkItem {
            FileHandle.standardError.write(Data(stuck.utf8))
            _exit(2)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: alarm)
        defer { alarm.cancel() }

        let crashed = line(file, location, "crashed")
        faultLine = strdup(crashed)
        faultLength = crashed.utf8.count
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            if let line = HDF5StringGuard.faultLine { _ = write(2, line, HDF5StringGuard.faultLength) }
            _exit(2)
        }
        var previousSEGV = sigaction(), previousBUS = sigaction()
        sigaction(SIGSEGV, &action, &previousSEGV)
        sigaction(SIGBUS, &action, &previousBUS)
        defer {
            sigaction(SIGSEGV, &previousSEGV, nil)
            sigaction(SIGBUS, &previousBUS, nil)
            free(faultLine)
            faultLine = nil
        }
        return AddressSpaceCap.run(headroom: HDF5File.maxReadBytes, body)
    }
}
