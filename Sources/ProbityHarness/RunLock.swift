import Foundation
import ProbityCore

/// An exclusive lock (`flock`) held while a command writes somewhere: an output folder
/// (`DIR/.lock`, for `run`, `evaluate` and `merge`) or an attribution cache file (`A.h5.lock`
/// beside it, for `explain`, removed again when the command ends). A second command on the
/// same place stops at once with "in use by another probity process" instead of interleaving
/// its writes. The kernel drops the lock when the process dies, kill -9 included, so a stale
/// lock file never blocks a rerun.
public final class RunLock {
    let descriptor: Int32
    /// The lock file to delete on release (file locks only; a folder keeps its `.lock`).
    let removable: String?

    /// Locks the output folder `directory` (created if missing).
    public convenience init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try self.init(lockFile: directory + "/.lock", guarding: directory, hint: "wait for it to finish or use another --out", remove: false)
    }

    /// Locks the single file `path` (an attribution cache) through `path.lock`.
    public convenience init(file path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try self.init(lockFile: path + ".lock", guarding: path, hint: "wait for it to finish or use another --out", remove: true)
    }

    init(lockFile path: String, guarding: String, hint: String, remove: Bool) throws {
        descriptor = open(path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw ProbityError.badFile(path, "cannot open the lock file: \(String(cString: strerror(errno)))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            Foundation.close(descriptor)
            throw ProbityError.badFile(guarding, "in use by another probity process\(holder.isEmpty ? "" : " (pid \(holder))"); \(hint)")
        }
        removable = remove ? path : nil
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        if let removable { unlink(removable) }
        flock(descriptor, LOCK_UN)
        Foundation.close(descriptor)
    }
}
