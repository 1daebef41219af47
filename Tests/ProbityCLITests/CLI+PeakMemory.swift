import Foundation
import XCTest

extension CLI {
    /// Runs `probity arguments` and returns its exit status, its stderr and its peak resident
    /// memory in bytes: `ru_maxrss` from `wait4` on the process.
    ///
    /// Not a child of this process: Linux carries a process's resident high-water mark across
    /// `exec`, and a child spawned by the test runner (`posix_spawn` shares the runner's memory
    /// until it execs) starts with the runner's — a gigabyte late in the suite. So a small
    /// Python process forks `probity` and reports its `ru_maxrss`, which then counts only what
    /// `probity` itself touched (plus Python's few megabytes from before the exec). A command
    /// still running after `timeout` seconds is killed.
    static func runMeasuringMemory(_ arguments: [String], timeout: Int = 60) throws -> (status: Int32, stderr: String, peakBytes: Int) {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("probity-mem-\(UUID().uuidString).err").path
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let r = try python("""
        import os, signal, sys
        err, timeout, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
        pid = os.fork()
        if pid == 0:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
            os.execv(argv[0], argv)
        signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
        signal.alarm(timeout)
        _, status, usage = os.wait4(pid, 0)
        print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
        """, [errPath, String(timeout), binary.path] + arguments)
        let fields = r.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard r.status == 0, fields.count == 2, let status = Int32(fields[0]), let kilobytes = Int(fields[1]) else {
            throw NSError(domain: "runMeasuringMemory", code: 1, userInfo: [NSLocalizedDescriptionKey: r.stdout + r.stderr])
        }
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (status, stderr, kilobytes * 1024)
    }
}
