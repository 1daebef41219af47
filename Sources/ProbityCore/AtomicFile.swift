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

    /// Creates the folder `path` goes in, when it is missing (as `--out` folders are), so a
    /// write never fails late, after the work, for a folder that could have been made; a folder
    /// that cannot be made (a path through a regular file, no permission) is an error naming it.
    public static func createFolder(for path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard !dir.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw ProbityError.badFile(path, "cannot write: \(dir) is a file, not a folder")
        }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ProbityError.badFile(path, "cannot create its folder \(dir): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
    }

    /// Writes `data` to `path` atomically (creating its folder when missing).
    public static func write(_ data: Data, to path: String) throws {
        try createFolder(for: path)
        let tmp = temporaryPath(for: path)
        do { try data.write(to: URL(fileURLWithPath: tmp)) } catch {
            throw ProbityError.badFile(path, "cannot write: \(error.localizedDescription)")
        }
        try commit(temporary: tmp, to: path)
    }
}
