import Foundation

/// Peak resident memory of this process, per stage of a benchmark. Linux keeps the peak as
/// `VmHWM` in `/proc/self/status`; writing 5 to `/proc/self/clear_refs` resets it to the
/// current resident size, so a stage's peak is read after resetting at its start. Elsewhere
/// (or when /proc is not writable) the figures are the process's peak so far, or nil.
public enum PeakMemory {
    /// Starts a new stage: the peak becomes the current resident size.
    public static func reset() {
        guard let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        defer { try? h.close() }
        try? h.write(contentsOf: Data("5".utf8))
    }

    /// The peak resident memory since the last `reset`, in MB (10⁶ bytes).
    public static func megabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024 / 1e6
    }
}
