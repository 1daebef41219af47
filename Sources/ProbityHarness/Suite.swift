import Foundation
import ProbityCore
import ProbityExplainers
import ProbityMetrics
import Yams

/// An evaluation suite (`metrics/README.md` documents the schema): which model and dataset,
/// which samples, which explainers and metrics with which options, the seed, the target rule,
/// where results go, and optionally a gate policy. Paths inside are relative to the suite file.
///
/// Parsing checks everything before any work starts: unknown keys, wrong types, missing
/// files, unknown explainers, metrics and options, bad option values — each an error that
/// names the file, the line and the key, with "did you mean" for near misses.
public struct Suite: Sendable, Equatable {
    public var path: String
    public var name: String
    public var dataset: String
    public var model: String
    public var samples: SampleSelection
    public var batch: Int
    public var seed: UInt64
    public var target: TargetRule
    /// The class the metrics score: nil is the class each map explains.
    public var metricTarget: TargetRule?
    public var out: String
    public var explainers: [ExplainerSpec]
    public var metrics: [MetricSpec]
    public var gate: String?
    /// `keep_going: true`: samples an external explainer fails on are marked `failed` and the
    /// run goes on (as `probity run --keep-going`); the gate then fails rules that cover them.
    public var keepGoing: Bool

    public struct ExplainerSpec: Sendable, Equatable {
        public var name: String
        public var options: [String: String]
    }

    public struct MetricSpec: Sendable, Equatable {
        public var name: String
        public var options: [String: String]
    }

    /// Which samples: all, a list, the first n (of a split), or a split.
    public struct SampleSelection: Sendable, Equatable {
        public var indices: [Int]?
        public var split: Int?
        public var first: Int?
        public var every: Int?
        public static let all = SampleSelection()
    }

    static let keys = ["name", "dataset", "model", "samples", "batch", "seed", "target", "metric_target", "out", "explainers", "metrics", "metric_options", "gate", "keep_going"]

    /// The explainers, made (option values validated).
    public func makeExplainers() throws -> [any Explainer] {
        try explainers.map { try ExplainerRegistry.make($0.name, options: $0.options) }
    }

    public func makeMetrics() throws -> [any Metric] {
        try metrics.map { try MetricRegistry.make($0.name, options: $0.options) }
    }

    /// Reads and checks the suite at `path`.
    /// The suite with its dataset and/or model replaced by files given on the command line
    /// (relative to the working directory), so a preset runs unchanged on a user's own data or a
    /// candidate model. A missing file is refused like a suite's (exit status 2, naming it).
    public func overriding(dataset: String? = nil, model: String? = nil) throws -> Suite {
        var copy = self
        func existing(_ p: String, _ option: String) throws -> String {
            let full = URL(fileURLWithPath: p).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: full) else { throw ProbityError.badFile(full, "no such file (given with \(option))") }
            return full
        }
        if let dataset { copy.dataset = try existing(dataset, "--dataset") }
        if let model { copy.model = try existing(model, "--model") }
        return copy
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read the suite file") }
        guard let text = String(data: data, encoding: .utf8) else { throw ProbityError.badFile(path, "is not UTF-8 text") }
        try self.init(yaml: text, path: path)
    }

    public init(yaml text: String, path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        let fail = { (node: Node?, message: String) -> ProbityError in
            ProbityError.badFile(path, (node?.mark.map { "line \($0.line): " } ?? "") + message)
        }
        let root: Node
        do {
            guard let r = try Yams.compose(yaml: text) else { throw ProbityError.badFile(path, "is empty; a suite needs at least dataset, model, explainers and metrics") }
            root = r
        } catch let e as YamlError {
            throw ProbityError.badFile(path, "is not valid YAML: \(Suite.describe(e))")
        }
        guard let mapping = root.mapping else { throw fail(root, "a suite is a mapping of keys (dataset, model, explainers, metrics, …)") }
        var fields: [String: Node] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { throw fail(k, "keys must be text") }
            guard Suite.keys.contains(key) else {
                throw fail(k, "unknown key `\(key)`\(DidYouMean.hint(for: key, among: Suite.keys)); a suite takes \(Suite.keys.joined(separator: ", "))")
            }
            if fields[key] != nil { throw fail(k, "key `\(key)` is given twice") }
            fields[key] = v
        }
        func scalar(_ key: String) throws -> (String, Node)? {
            guard let node = fields[key] else { return nil }
            guard let s = node.scalar?.string, node.scalar != nil else { throw fail(node, "`\(key)` must be a single value") }
            return (s, node)
        }
        func required(_ key: String) throws -> (String, Node) {
            guard let v = try scalar(key) else { throw ProbityError.badFile(path, "missing key `\(key)`") }
            return v
        }
        // Absolute paths, so run.json and error messages say where files are from any folder.
        func resolve(_ p: String) -> String { URL(fileURLWithPath: p.hasPrefix("/") || dir.isEmpty ? p : dir + "/" + p).standardizedFileURL.path }
        func existing(_ key: String) throws -> String {
            let (value, node) = try required(key)
            let full = resolve(value)
            guard FileManager.default.fileExists(atPath: full) else { throw fail(node, "`\(key)`: no file \(full)") }
            return full
        }
        name = try scalar("name")?.0 ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        dataset = try existing("dataset")
        model = try existing("model")
        func integer(_ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            guard let (s, node) = try scalar(key) else { return value }
            guard let v = Int(s), range.contains(v) else { throw fail(node, "`\(key)` must be an integer in \(range.lowerBound)…\(range.upperBound), got \(s)") }
            return v
        }
        batch = try integer("batch", default: 8, range: 1...4096)
        if let (s, node) = try scalar("seed") {
            guard let v = UInt64(s) else { throw fail(node, "`seed` must be a non-negative integer, got \(s)") }
            seed = v
        } else { seed = 0 }
        func rule(_ key: String) throws -> TargetRule? {
            guard let (s, node) = try scalar(key) else { return nil }
            do { return try TargetRule(s) } catch { throw fail(node, "`\(key)` must be predicted, label or a class index, got \(s)") }
        }
        target = try rule("target") ?? .predicted
        metricTarget = try rule("metric_target")
        out = resolve(try scalar("out")?.0 ?? "../reports/" + name)
        gate = try scalar("gate").map { (value, node) in
            let full = resolve(value)
            guard FileManager.default.fileExists(atPath: full) else { throw fail(node, "`gate`: no file \(full)") }
            return full
        }
        samples = try Suite.samples(fields["samples"], fail: fail)
        if let (s, node) = try scalar("keep_going") {
            guard let v = Bool(s) else { throw fail(node, "`keep_going` must be true or false, got \(s)") }
            keepGoing = v
        } else { keepGoing = false }

        // Explainers and metrics: a list of names, or of one-key mappings name → options.
        func entries(_ key: String) throws -> [(String, [String: String], Node)] {
            guard let node = fields[key] else { throw ProbityError.badFile(path, "missing key `\(key)`") }
            guard let list = node.sequence, !list.isEmpty else { throw fail(node, "`\(key)` must be a non-empty list") }
            return try list.map { item in
                if let s = item.scalar?.string { return (s, [:], item) }
                guard let m = item.mapping, m.count == 1, let (k, v) = m.first, let name = k.string else {
                    throw fail(item, "each entry of `\(key)` is a name, or `name: {option: value, …}`")
                }
                if v.scalar?.string == "" || v.scalar?.string == "null" { return (name, [:], item) }
                guard let opts = v.mapping else { throw fail(v, "the options of \(name) must be a mapping `{option: value, …}`") }
                var options: [String: String] = [:]
                for (ok, ov) in opts {
                    guard let o = ok.string, let value = ov.scalar?.string else { throw fail(ok, "options of \(name) are `option: value` pairs of single values") }
                    options[o] = value
                }
                return (name, options, item)
            }
        }
        func paths(_ options: [String: String]) -> [String: String] {
            options.mapValues { v in [".onnx", ".png", ".h5", ".json", ".txt"].contains { v.hasSuffix($0) } ? resolve(v) : v }
        }
        explainers = try entries("explainers").map { name, options, node in
            let names = ExplainerRegistry.all.map { $0.name }
            guard let t = ExplainerRegistry.all.first(where: { $0.name == name }) else {
                throw fail(node, "unknown explainer `\(name)`\(DidYouMean.hint(for: name, among: names)); see `probity explainers`")
            }
            try Suite.checkOptions(options, specs: t.optionSpecs, owner: name, node: node, fail: fail)
            do { _ = try ExplainerRegistry.make(name, options: paths(options)) } catch let e as ProbityError { throw fail(node, e.description) }
            return ExplainerSpec(name: name, options: paths(options))
        }
        let metricEntries = try entries("metrics")
        var shared: [String: String] = [:]
        if let node = fields["metric_options"] {
            guard let m = node.mapping else { throw fail(node, "`metric_options` must be a mapping `{option: value}` or `{metric.option: value}`") }
            for (k, v) in m {
                guard let key = k.string, let value = v.scalar?.string else { throw fail(k, "`metric_options` holds `option: value` pairs of single values") }
                shared[key] = value
            }
        }
        let metricNames = MetricRegistry.all.map { $0.name }
        for (name, _, node) in metricEntries where !metricNames.contains(name) {
            throw fail(node, "unknown metric `\(name)`\(DidYouMean.hint(for: name, among: metricNames)); see `probity metrics`")
        }
        let routed: [[String: String]]
        do { routed = try MetricOptions.route(shared, to: metricEntries.map(\.0)) } catch let e as ProbityError { throw fail(fields["metric_options"], e.description) }
        metrics = try zip(metricEntries, routed).map { entry, fromShared in
            let (name, options, node) = entry
            let t = try MetricRegistry.type(named: name)
            try Suite.checkOptions(options, specs: t.optionSpecs, owner: name, node: node, fail: fail)
            let merged = paths(fromShared.merging(options) { _, own in own })
            do { _ = try MetricRegistry.make(name, options: merged) } catch let e as ProbityError { throw fail(node, e.description) }
            return MetricSpec(name: name, options: merged)
        }
        var seen = Set<String>()
        for e in try makeExplainers() where !seen.insert(e.id).inserted { throw ProbityError.badFile(path, "explainer \(e.id) is listed twice") }
        seen = []
        for m in try makeMetrics() where !seen.insert(m.id).inserted { throw ProbityError.badFile(path, "metric \(m.id) is listed twice") }
    }

    static func checkOptions(_ options: [String: String], specs: [OptionSpec], owner: String, node: Node, fail: (Node?, String) -> ProbityError) throws {
        let names = specs.map(\.name)
        for key in options.keys.sorted() where !names.contains(key) {
            throw fail(node, "unknown option `\(key)` of \(owner)\(DidYouMean.hint(for: key, among: names)); \(owner) takes \(names.isEmpty ? "no options" : names.joined(separator: ", "))")
        }
    }

    static func samples(_ node: Node?, fail: (Node?, String) -> ProbityError) throws -> SampleSelection {
        guard let node else { return .all }
        if let s = node.scalar?.string {
            if s == "all" { return .all }
            throw fail(node, "`samples` must be all, a list of indices, or a mapping {split: train|test, first: N, every: K}; got \(s)")
        }
        if let list = node.sequence {
            return SampleSelection(indices: try list.map { item in
                guard let v = item.decimalInteger, v >= 0 else { throw fail(item, "`samples` indices must be non-negative integers") }
                return v
            })
        }
        guard let m = node.mapping else { throw fail(node, "`samples` must be all, a list, or a mapping") }
        var sel = SampleSelection()
        for (k, v) in m {
            switch k.string ?? "" {
            case "first":
                guard let n = v.decimalInteger, n > 0 else { throw fail(v, "`samples.first` must be a positive integer") }
                sel.first = n
            case "every":
                guard let n = v.decimalInteger, n > 0 else { throw fail(v, "`samples.every` must be a positive integer") }
                sel.every = n
            case "split":
                switch v.string ?? "" {
                case "train": sel.split = 0
                case "test": sel.split = 1
                default: throw fail(v, "`samples.split` must be train or test")
                }
            default:
                let key = k.string ?? ""
                throw fail(k, "unknown key `samples.\(key)`\(DidYouMean.hint(for: key, among: ["first", "split", "every"])); use first, split, every")
            }
        }
        return sel
    }

    static func describe(_ e: YamlError) -> String {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        default:
            return "\(e)"
        }
    }

    /// A fingerprint of everything that decides the results (not the output folder): shards
    /// of one suite share it, and `merge` refuses folders whose fingerprints differ.
    public func fingerprint(modelSHA256: String, datasetSHA256: String) throws -> String {
        let explainerIDs = try makeExplainers().map(\.id)
        let metricIDs = try makeMetrics().map(\.id)
        let text = ["model=\(modelSHA256)", "dataset=\(datasetSHA256)", "samples=\(samples)", "batch=\(batch)", "seed=\(seed)",
                    "target=\(target)", "metric_target=\(metricTarget?.description ?? "cache")",
                    "explainers=\(explainerIDs.joined(separator: "|"))", "metrics=\(metricIDs.joined(separator: "|"))"].joined(separator: "\n")
        return FileHash.sha256(Data(text.utf8))
    }
}
