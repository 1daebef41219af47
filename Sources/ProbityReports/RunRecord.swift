import Foundation
import ProbityCore

/// `run.json` of a run directory, typed: what was run on what (files and their SHA-256), with
/// which seed and target rule, how long each part took and on which machine. The report's
/// provenance section prints it so a reader can reproduce the numbers or tell why they differ.
public struct RunRecord: Sendable, Equatable, Codable {
    public struct FileRef: Sendable, Equatable, Codable {
        public var path: String
        public var sha256: String
        public init(path: String, sha256: String) { self.path = path; self.sha256 = sha256 }
    }
    public struct Timing: Sendable, Equatable, Codable {
        public var explainer, metric: String
        public var seconds: Double
        public var samples: Int
        public init(explainer: String, metric: String, seconds: Double, samples: Int) {
            self.explainer = explainer; self.metric = metric; self.seconds = seconds; self.samples = samples
        }
    }
    public struct Machine: Sendable, Equatable, Codable {
        public var cores: Int?
        public var memoryBytes: UInt64?
        public var os: String?
        enum CodingKeys: String, CodingKey { case cores, memoryBytes = "memory_bytes", os }
        public init(cores: Int?, memoryBytes: UInt64?, os: String?) { self.cores = cores; self.memoryBytes = memoryBytes; self.os = os }
    }

    public var probityVersion: String
    public var command: String?
    public var model: FileRef
    public var dataset: FileRef
    public var attributions: String?
    public var explainers: [String]
    public var metrics: [String]
    public var seed: UInt64
    public var target: String?
    public var seconds: Double?
    public var timings: [Timing]
    public var machine: Machine?

    enum CodingKeys: String, CodingKey {
        case probityVersion = "probity_version", command, model, dataset, attributions, explainers, metrics, seed, target, seconds, timings, machine
    }

    public init(probityVersion: String, command: String? = nil, model: FileRef, dataset: FileRef, attributions: String? = nil,
                explainers: [String], metrics: [String], seed: UInt64, target: String? = nil, seconds: Double? = nil,
                timings: [Timing] = [], machine: Machine? = nil) {
        self.probityVersion = probityVersion; self.command = command; self.model = model; self.dataset = dataset
        self.attributions = attributions; self.explainers = explainers; self.metrics = metrics; self.seed = seed
        self.target = target; self.seconds = seconds; self.timings = timings; self.machine = machine
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        probityVersion = try c.decode(String.self, forKey: .probityVersion)
        command = try c.decodeIfPresent(String.self, forKey: .command)
        model = try c.decode(FileRef.self, forKey: .model)
        dataset = try c.decode(FileRef.self, forKey: .dataset)
        attributions = try c.decodeIfPresent(String.self, forKey: .attributions)
        explainers = try c.decode([String].self, forKey: .explainers)
        metrics = try c.decode([String].self, forKey: .metrics)
        seed = try c.decode(UInt64.self, forKey: .seed)
        target = try c.decodeIfPresent(String.self, forKey: .target)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        timings = try c.decodeIfPresent([Timing].self, forKey: .timings) ?? []
        machine = try c.decodeIfPresent(Machine.self, forKey: .machine)
    }

    /// Reads `run.json` at `path`; a missing key or a value of the wrong type is an error that
    /// names the file and the key.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read the file") }
        do { self = try JSONDecoder().decode(RunRecord.self, from: data) } catch let DecodingError.keyNotFound(key, ctx) {
            throw ProbityError.badInput(file: path, location: (ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."), problem: "missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw ProbityError.badInput(file: path, location: ctx.codingPath.map(\.stringValue).joined(separator: "."), problem: "expected \(type)")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw ProbityError.badInput(file: path, location: ctx.codingPath.map(\.stringValue).joined(separator: "."), problem: "expected \(type), found null")
        } catch {
            throw ProbityError.badFile(path, "not valid JSON: \(error)")
        }
    }
}
