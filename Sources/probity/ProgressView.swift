import Foundation
import ProbityHarness

/// Draws `ProgressEvent`s on stderr: on a terminal, one bar per stage with counts, rate and
/// ETA, redrawn in place; otherwise one plain line every few seconds and at the end of each
/// stage (logs stay short); nothing when quiet.
final class ProgressView: @unchecked Sendable {
    let quiet: Bool
    let terminal = isatty(2) != 0
    var stage = ""
    var stageStarted = Date()
    var lastLine = Date.distantPast
    var finished = false

    init(quiet: Bool) { self.quiet = quiet }

    var handler: ProgressHandler { { [self] in update($0) } }

    /// For library calls that report plain (done, total) counts of one stage.
    func counter(_ stage: String) -> (Int, Int) -> Void { { [self] in update(ProgressEvent(stage: stage, done: $0, total: $1)) } }

    func update(_ e: ProgressEvent) {
        guard !quiet else { return }
        let now = Date()
        if e.stage != stage {
            if terminal && !finished && !stage.isEmpty { write("\n") }
            stage = e.stage; stageStarted = now; lastLine = .distantPast; finished = false
        }
        let elapsed = now.timeIntervalSince(stageStarted)
        let rate = elapsed > 0 ? Double(e.done) / elapsed : 0
        let eta = rate > 0 ? Double(e.total - e.done) / rate : .nan
        let unit = ["score": "jobs", "explain": "samples", "evaluate": "jobs", "predict": "samples", "import": "images"][e.stage] ?? "steps"
        let numbers = "\(e.done)/\(e.total) \(unit)" + (e.done > 0 ? String(format: ", %.1f/s", rate) : "")
            + (e.done > 0 && e.done < e.total ? ", ETA \(ProgressView.clock(eta))" : "") + (e.done == e.total ? ", \(ProgressView.clock(elapsed))" : "")
        let detail = e.detail.isEmpty || e.done == e.total ? "" : "  \(e.detail)"
        if terminal {
            let width = 28
            let filled = e.total > 0 ? width * e.done / e.total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\u{1B}[2K\(e.stage.padding(toLength: 8, withPad: " ", startingAt: 0)) \(bar) \(numbers)\(detail)")
            if e.done == e.total { write("\n"); finished = true }
        } else if e.done == e.total || now.timeIntervalSince(lastLine) >= 5 {
            write("\(e.stage): \(numbers)\(detail)\n")
            lastLine = now
            if e.done == e.total { finished = true }
        }
    }

    func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
