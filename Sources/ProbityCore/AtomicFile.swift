import Foundation

/// Atomic writes: data goes to a temporary file beside the target, then `rename` replaces the
/// target in one step, so a crash never leaves a half-written file that a later run trusts.
public enum AtomicFile {
    public static func commit(temporary: String, to path: String) throws {
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ProbityError.badFile(path, "cannot write: \(reason)")
        }
    }

    /// A temporary path beside `path`, for writing before `commit`.
    public static func temporaryPath(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".\(name).tmp-\(getpid())"
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let tmp = temporaryPath(for: path)
        do { try data.write(to: URL(fileURLWithPath: tmp)) } catch {
            throw ProbityError.badFile(path, "cannot write: \(error.localizedDescription)")
        }
        try commit(temporary: tmp, to: path)
    }
}
