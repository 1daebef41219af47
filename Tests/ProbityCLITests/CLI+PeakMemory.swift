import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

extension CLI {
    /// Runs `probity arguments` as a child process and returns its exit status, its stderr and
    /// its peak resident memory in bytes (`ru_maxrss` of that child alone, from `wait4`, which
    /// `Process` cannot give; the test process's other children do not count). A child still
    /// running after `timeout` seconds is killed.
    static func runMeasuringMemory(_ arguments: [String], timeout: Double = 60) throws -> (status: Int32, stderr: String, peakBytes: Int) {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("probity-mem-\(UUID().uuidString).err").path
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary.path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw NSError(domain: "posix_spawn", code: Int(spawned)) }
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            if Date() > deadline { kill(pid, SIGKILL); _ = wait4(pid, &status, 0, &usage); break }
            usleep(10_000)
        }
        // Exited normally: its status; killed by a signal: 128 + the signal, as a shell says.
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (exit, stderr, Int(usage.ru_maxrss) * 1024)
    }
}
