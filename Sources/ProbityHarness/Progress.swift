/// A progress report from a long stage: `done` of `total` units (samples explained, samples
/// scored), under a stage name. The CLI draws it (a bar with rate and ETA on a terminal,
/// plain lines otherwise); the library only reports.
public struct ProgressEvent: Sendable {
    public var stage: String
    public var done: Int
    public var total: Int
    /// What is being worked on (an explainer or metric name).
    public var detail: String
    public init(stage: String, done: Int, total: Int, detail: String = "") { self.stage = stage; self.done = done; self.total = total; self.detail = detail }
}

public typealias ProgressHandler = (ProgressEvent) -> Void
