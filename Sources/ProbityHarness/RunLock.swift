import Foundation
import ProbityCore

/// An exclusive lock on an output folder (`DIR/.lock`, `flock`), held while a run writes
/// there: a second run on the same folder stops at once with a message instead of
/// interleaving its writes. The kernel drops the lock when the process dies, kill -9 included,
/// so a stale lock file never blocks a rerun.
public final class RunLock {
    let descriptor: Int32

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/.lock"
        descriptor = open(path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw ProbityError.badFile(path, "cannot open the lock file: \(String(cString: strerror(errno)))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            Foundation.close(descriptor)
            throw ProbityError.badFile(directory, "in use by another probity process\(holder.isEmpty ? "" : " (pid \(holder))"); wait for it to finish or use another --out")
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        Foundation.close(descriptor)
    }
}
