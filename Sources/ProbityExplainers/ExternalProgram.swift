import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one external program to completion or to a deadline, for the `external` explainer.
///
/// The program starts in a process group of its own (`posix_spawn` with `POSIX_SPAWN_SETPGROUP`),
/// so a timeout kills it together with whatever it started (a shell script's `sleep`, a Python
/// interpreter's workers): a pipe those children held open could otherwise keep Probity waiting
/// forever. Its standard output and error go to `log` (a file, never a pipe that could fill up
/// and block it), so nothing it prints mixes with Probity's own output (`--json`).
/// A name without a `/` is looked up in `PATH`, as a shell would.
struct ExternalProgram {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case couldNotStart(String)
    }

    var program: String
    var arguments: [String]
    /// Seconds before the whole process group is killed; nil waits for ever.
    var timeout: Double?

    func run(log: String) -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = program.contains("/")
            ? posix_spawn(&pid, program, &actions, &attributes, argv, environ)
            : posix_spawnp(&pid, program, &actions, &attributes, argv, environ)
        guard started == 0 else { return .couldNotStart(String(cString: strerror(started))) }

        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var status: Int32 = 0
        var pause: useconds_t = 1_000
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r == -1 && errno != EINTR { return .couldNotStart(String(cString: strerror(errno))) }
            if let deadline, Date() >= deadline {
                // The leader is not reaped yet, so its pid still names this group.
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                return .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
