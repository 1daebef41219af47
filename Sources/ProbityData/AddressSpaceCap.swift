import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A temporary cap on the process's address space (the soft `RLIMIT_AS`): what the process
/// maps now plus `headroom` bytes, for the duration of one call, then the previous limit again.
///
/// Why: libhdf5 1.10 takes the length of a variable-length string from the file and allocates
/// (and clears) a buffer of that length before it looks at the string itself. A damaged length
/// field — 4 bytes, up to 4 GiB — in a dataset's or an attribute's data makes it touch 8 GiB to
/// read a one-letter class name, and no API shows the lengths before the read (attribute data
/// sits inside object headers). Under the cap such an allocation fails, libhdf5 fails the read,
/// and the caller refuses the file; a legitimate read (strings are stored in the file, a few
/// megabytes at most) never comes near it.
///
/// The cap is process-wide: callers hold `HDF5File.lock` and keep the call short (one read).
/// A hard limit below the cap wins; a failing `setrlimit` leaves the call uncapped.
enum AddressSpaceCap {
    /// The bytes mapped by the process now (`/proc/self/statm`'s first field, in pages).
    static func mappedBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").first.flatMap({ Int($0) }) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Runs `body` with the address space capped at the current size plus `headroom` bytes;
    /// returns its result and whether the cap was in force.
    static func run<T>(headroom: Int, _ body: () -> T) -> (result: T, capped: Bool) {
        var previous = rlimit()
        guard let mapped = mappedBytes(), getrlimit(RLIMIT_AS_RESOURCE, &previous) == 0 else { return (body(), false) }
        let wanted = rlim_t(mapped + headroom)
        var capped = previous
        capped.rlim_cur = min(wanted, previous.rlim_max)
        guard capped.rlim_cur < previous.rlim_cur, setrlimit(RLIMIT_AS_RESOURCE, &capped) == 0 else { return (body(), false) }
        defer { _ = setrlimit(RLIMIT_AS_RESOURCE, &previous) }
        return (body(), true)
    }

    /// Glibc declares the resource as an enum Swift imports by that type.
    static var RLIMIT_AS_RESOURCE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_AS.rawValue) }
}
