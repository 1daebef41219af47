import Foundation
import ProbityCore

/// Writes `run.json` (DESIGN.md; ProbityReports' `RunRecord` reads it back): what was run on what, with which seed, how long each part took, and
/// on which machine — enough to reproduce the tables or tell why they differ. Written with
/// sorted keys; it is the one result file whose bytes change between reruns (timings).
public struct RunJSON: Codable, Sendable {
    public struct FileRef: Codable, Sendable { public var path: String; public var sha256: String }
    public struct Timing: Codable, Sendable { public var stage, explainer, metric: String; public var seconds: Double; public var samples: Int }
    public struct Machine: Codable, Sendable { public var cores: Int; public var memory_bytes: UInt64; public var os: String }

    public var probity_version = ProbityVersion.string
    public var command: String
    public var suite: String?
    public var suite_fingerprint: String?
    public var model: FileRef
    public var dataset: FileRef
    public var attributions: String
    public var scores: String
    public var explainers: [String]
    public var metrics: [String]
    public var samples: Int
    public var shards: [String]?
    public var seed: UInt64
    public var target: String
    public var metric_target: String
    public var seconds: Double
    public var timings: [Timing]
    public var machine: Machine

    public init(command: String, model: FileRef, dataset: FileRef, attributions: String, scores: String, explainers: [String], metrics: [String],
                samples: Int, seed: UInt64, target: String, metricTarget: String, seconds: Double, timings: [Timing]) {
        self.command = command; self.model = model; self.dataset = dataset; self.attributions = attributions; self.scores = scores
        self.explainers = explainers; self.metrics = metrics; self.samples = samples; self.seed = seed; self.target = target
        self.metric_target = metricTarget; self.seconds = seconds; self.timings = timings
        let info = ProcessInfo.processInfo
        machine = Machine(cores: info.activeProcessorCount, memory_bytes: info.physicalMemory, os: info.operatingSystemVersionString)
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func read(_ path: String) throws -> RunJSON {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read") }
        do { return try JSONDecoder().decode(RunJSON.self, from: data) } catch { throw ProbityError.badFile(path, "not a Probity run.json: \(error)") }
    }
}
