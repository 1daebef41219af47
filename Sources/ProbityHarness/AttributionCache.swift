import Foundation
import ProbityCore
import ProbityData

/// The attribution cache (DESIGN.md): `/attributions/<key>` float32 [N, H, W] indexed by
/// dataset sample, one chunk per sample; `/done/<key>` uint8 [N] flags; `/targets/<key>` int64
/// [N] (the class each map explains); `/diagnostics/<key>/<name>` float32 [N]. Attributes on
/// the maps: options (JSON), target rule, seed, model and dataset SHA-256, seconds, Probity
/// version. The key is the explainer id, with `seed=S` added among the options for methods
/// that draw random numbers, so another seed is another entry and never a stale one.
///
/// Writes go through a `Journal` (one record per batch, atomic) and are folded into the HDF5
/// file by `commit()`, so a run killed at any moment loses at most the batch it was computing
/// and never leaves a file that cannot be read. Every read — `done`, `maps`, `targets`,
/// `info` — sees the HDF5 file and the pending records together.
public final class AttributionCache {
    public let path: String
    let journal: Journal
    private var reader: HDF5File?

    public init(path: String) throws {
        self.path = path
        journal = Journal(directory: path + ".journal")
        if FileManager.default.fileExists(atPath: path) { _ = try file() }
    }

    deinit { reader?.close() }

    /// What makes a map: the method with all its options (the key), and the context it ran in.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var optionsJSON: String
        public var target: String
        public var modelSHA256: String
        public var datasetSHA256: String
        public var seed: UInt64?
        public var count = 0, height = 0, width = 0
        public init(key: String, optionsJSON: String, target: String, modelSHA256: String, datasetSHA256: String, seed: UInt64? = nil) {
            self.key = key; self.optionsJSON = optionsJSON; self.target = target; self.modelSHA256 = modelSHA256; self.datasetSHA256 = datasetSHA256; self.seed = seed
        }

        /// The explainer name (before `@`).
        public var name: String { String(key.split(separator: "@", maxSplits: 1).first ?? Substring(key)) }

        /// Differences in what made the maps, worded for an error message; empty when reusable.
        func conflicts(with other: Entry) -> [String] {
            var problems: [String] = []
            if [count, height, width] != [other.count, other.height, other.width] {
                problems.append("shape \([other.count, other.height, other.width]), expected \([count, height, width])")
            }
            if other.modelSHA256 != modelSHA256 { problems.append("another model (SHA-256 \(other.modelSHA256))") }
            if other.datasetSHA256 != datasetSHA256 { problems.append("another dataset (SHA-256 \(other.datasetSHA256))") }
            if other.target != target { problems.append("target \(other.target), not \(target)") }
            return problems
        }
    }

    /// The cache key of an explainer run with `seed`: its id, plus `seed=S` for seeded methods.
    public static func key(id: String, seeded: Bool, seed: UInt64) -> String {
        guard seeded else { return id }
        let name = String(id.split(separator: "@", maxSplits: 1)[0])
        var parts = id.contains("@") ? id.split(separator: "@", maxSplits: 1)[1].split(separator: ",").map(String.init) : []
        parts.append("seed=\(seed)")
        return name + "@" + parts.sorted().joined(separator: ",")
    }

    // MARK: reading

    func file() throws -> HDF5File? {
        if let reader { return reader }
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        reader = try HDF5File(path: path, mode: .readOnly)
        return reader
    }

    func closeReader() { reader?.close(); reader = nil }

    static func recordName(_ kind: String, _ key: String, _ first: Int? = nil) -> String {
        let hash = String(FileHash.sha256(Data(key.utf8)).prefix(20))
        return first.map { "\(kind)-\(hash)-\(String(format: "%09d", $0))" } ?? "\(kind)-\(hash)"
    }

    /// The pending entry record of `key`, if one was prepared and not yet folded.
    func pendingEntry(_ key: String) throws -> (entry: Entry, replace: Bool)? {
        let name = AttributionCache.recordName("entry", key)
        guard journal.names().contains(name) else { return nil }
        let r = try journal.read(name)
        return (AttributionCache.entry(from: r.header), r.header["replace"] == "true")
    }

    static func entry(from h: [String: String]) -> Entry {
        var e = Entry(key: h["key"] ?? "", optionsJSON: h["options"] ?? "{}", target: h["target"] ?? "", modelSHA256: h["model_sha256"] ?? "",
                      datasetSHA256: h["dataset_sha256"] ?? "", seed: h["seed"].flatMap { UInt64($0) })
        e.count = Int(h["count"] ?? "") ?? 0; e.height = Int(h["height"] ?? "") ?? 0; e.width = Int(h["width"] ?? "") ?? 0
        return e
    }

    /// The keys with maps, in the file or pending, sorted.
    public func keys() throws -> [String] {
        var keys = Set<String>()
        if let f = try file(), f.exists("/attributions") { keys.formUnion(try f.members(of: "/attributions")) }
        for name in journal.names() where name.hasPrefix("entry-") { keys.insert(try journal.read(name).header["key"] ?? "") }
        return keys.sorted()
    }

    /// What made the maps of `key`, or nil when there are none.
    public func info(_ key: String) throws -> Entry? {
        let inFile = try file()?.exists("/attributions/\(key)") ?? false
        if let pending = try pendingEntry(key), pending.replace || !inFile { return pending.entry }
        guard let f = try file(), f.exists("/attributions/\(key)") else { return nil }
        let maps = "/attributions/\(key)"
        let shape = try f.info(maps).shape
        var e = Entry(key: key, optionsJSON: try f.attribute("options", on: maps)?.text ?? "{}", target: try f.attribute("target", on: maps)?.text ?? "",
                      modelSHA256: try f.attribute("model_sha256", on: maps)?.text ?? "none", datasetSHA256: try f.attribute("dataset_sha256", on: maps)?.text ?? "none",
                      seed: try f.attribute("seed", on: maps)?.integer.map { UInt64($0) })
        if shape.count == 3 { (e.count, e.height, e.width) = (shape[0], shape[1], shape[2]) }
        return e
    }

    /// The options the maps of `key` were made with.
    public func options(_ key: String) throws -> [String: String] {
        guard let e = try info(key) else { throw ProbityError.badFile(path, "no maps for explainer \(key)") }
        guard let options = try? JSONSerialization.jsonObject(with: Data(e.optionsJSON.utf8)) as? [String: String] else {
            throw ProbityError.badFile(path, "the options of \(key) are not a JSON object of strings: \(e.optionsJSON)")
        }
        return options
    }

    /// Whether the HDF5 file's copy of `key` counts (it does not once a replacement is pending).
    func fileCounts(_ key: String) throws -> Bool {
        if let pending = try pendingEntry(key), pending.replace { return false }
        return try file()?.exists("/done/\(key)") ?? false
    }

    /// The pending map records of `key`: (first sample, record name).
    func pendingBatches(_ key: String) -> [String] {
        let prefix = AttributionCache.recordName("maps", key) + "-"
        return journal.names().filter { $0.hasPrefix(prefix) }
    }

    /// Samples already computed for `key` (count = the entry's sample count).
    public func done(_ key: String) throws -> [Bool] {
        guard let e = try info(key) else { throw ProbityError.badFile(path, "no maps for explainer \(key)") }
        var flags = [Bool](repeating: false, count: e.count)
        if try fileCounts(key), let f = try file() {
            for (i, v) in try f.read("/done/\(key)", as: UInt8.self).enumerated() where i < flags.count { flags[i] = v != 0 }
        }
        for name in pendingBatches(key) { for s in try journal.read(name).integers["samples"] ?? [] where Int(s) < flags.count { flags[Int(s)] = true } }
        return flags
    }

    /// The class each map of `key` explains (−1 where none is computed).
    public func targets(_ key: String) throws -> [Int] {
        guard let e = try info(key) else { throw ProbityError.badFile(path, "no maps for explainer \(key)") }
        var targets = [Int](repeating: -1, count: e.count)
        if try fileCounts(key), let f = try file() { for (i, v) in try f.read("/targets/\(key)", as: Int64.self).enumerated() where i < e.count { targets[i] = Int(v) } }
        for name in pendingBatches(key) {
            let r = try journal.read(name)
            for (s, t) in zip(r.integers["samples"] ?? [], r.integers["targets"] ?? []) where Int(s) < e.count { targets[Int(s)] = Int(t) }
        }
        return targets
    }

    /// The maps of `key` for `samples`, each [H × W].
    public func maps(_ key: String, samples: [Int]) throws -> [[Float]] {
        guard let e = try info(key) else { throw ProbityError.badFile(path, "no maps for explainer \(key)") }
        let plane = e.height * e.width
        var found: [Int: [Float]] = [:]
        let wanted = Set(samples)
        for name in pendingBatches(key) {
            let r = try journal.read(name)
            let ids = (r.integers["samples"] ?? []).map(Int.init)
            guard ids.contains(where: wanted.contains), let maps = r.floats["maps"] else { continue }
            for (j, s) in ids.enumerated() where wanted.contains(s) { found[s] = Array(maps[(j * plane)..<((j + 1) * plane)]) }
        }
        let fromFile = try fileCounts(key)
        return try samples.map { s in
            if let m = found[s] { return m }
            guard fromFile, let f = try file() else { throw ProbityError.badFile(path, "no map of \(key) for sample \(s)") }
            return try f.read("/attributions/\(key)", rows: s..<(s + 1), as: Float.self)
        }
    }

    /// Per-sample diagnostics of `key` by name (NaN where none was recorded).
    public func diagnostics(_ key: String) throws -> [String: [Float]] {
        guard let e = try info(key) else { return [:] }
        var out: [String: [Float]] = [:]
        if try fileCounts(key), let f = try file(), f.exists("/diagnostics/\(key)") {
            for name in try f.members(of: "/diagnostics/\(key)") { out[name] = try f.read("/diagnostics/\(key)/\(name)", as: Float.self) }
        }
        for name in pendingBatches(key) {
            let r = try journal.read(name)
            for (k, v) in r.floats where k.hasPrefix("diag/") {
                let d = String(k.dropFirst(5))
                if out[d] == nil { out[d] = [Float](repeating: .nan, count: e.count) }
                for (s, x) in zip(r.integers["samples"] ?? [], v) where Int(s) < e.count { out[d]![Int(s)] = x }
            }
        }
        return out
    }

    /// Seconds spent computing the maps of `key` so far.
    public func seconds(_ key: String) throws -> Double {
        var total = 0.0
        if try fileCounts(key), let f = try file() { total += (try f.attribute("seconds", on: "/attributions/\(key)")?.floatArray?.first).map(Double.init) ?? 0 }
        for name in pendingBatches(key) { total += Double(try journal.read(name).header["seconds"] ?? "0") ?? 0 }
        return total
    }

    // MARK: writing

    /// Readies the entry `entry.key` for `entry.count` samples of h×w. An entry made with
    /// another model, dataset, target rule or shape is an error unless `replace`, which starts
    /// it anew. Returns whether an existing entry was replaced.
    @discardableResult
    public func prepare(_ entry: Entry, replace: Bool) throws -> Bool {
        let existing = try info(entry.key)
        if let existing {
            let problems = entry.conflicts(with: existing)
            if problems.isEmpty { return false }
            if !replace {
                throw ProbityError.badFile(path, "/attributions/\(entry.key) was made with \(problems.joined(separator: ", ")); use another --out or --overwrite")
            }
            for name in pendingBatches(entry.key) { journal.remove(name) }
        }
        var h = ["key": entry.key, "options": entry.optionsJSON, "target": entry.target, "model_sha256": entry.modelSHA256,
                 "dataset_sha256": entry.datasetSHA256, "count": String(entry.count), "height": String(entry.height), "width": String(entry.width),
                 "replace": String(try file()?.exists("/attributions/\(entry.key)") ?? false)]
        if let seed = entry.seed { h["seed"] = String(seed) }
        try journal.append(Journal.Record(header: h), name: AttributionCache.recordName("entry", entry.key))
        return existing != nil
    }

    /// Forgets a new entry that got no maps (its method refused the model before the first
    /// batch), so a refused `explain` leaves no empty entry in the file. An entry with maps, or
    /// one already in the file, is kept.
    public func abandon(_ key: String) throws {
        guard !(try file()?.exists("/attributions/\(key)") ?? false), pendingBatches(key).isEmpty else { return }
        journal.remove(AttributionCache.recordName("entry", key))
    }

    /// Records the maps of one batch (`maps` is [n × H × W]), their targets and diagnostics.
    public func store(_ key: String, samples: [Int], maps: [Float], targets: [Int], diagnostics: [String: [Float]], seconds: Double) throws {
        guard let first = samples.first else { return }
        var floats = ["maps": maps]
        for (k, v) in diagnostics { floats["diag/" + k] = v }
        try journal.append(Journal.Record(header: ["key": key, "seconds": String(seconds)], floats: floats,
                                          integers: ["samples": samples.map(Int64.init), "targets": targets.map(Int64.init)]),
                           name: AttributionCache.recordName("maps", key, first))
    }

    /// Folds every pending record into the HDF5 file (see `Journal.fold`).
    public func commit() throws {
        closeReader()
        try journal.fold(into: path) { f, r in
            let key = r.header["key"] ?? ""
            let maps = "/attributions/\(key)"
            if r.floats["maps"] == nil {
                // An entry record: create (or re-create) the datasets and attributes.
                let e = AttributionCache.entry(from: r.header)
                for p in [maps, "/done/\(key)", "/targets/\(key)", "/diagnostics/\(key)"] where f.exists(p) { try f.remove(p) }
                try f.create(maps, of: Float.self, shape: [e.count, e.height, e.width], chunks: [1, e.height, e.width], compression: 4, fill: 0)
                try f.create("/done/\(key)", of: UInt8.self, shape: [e.count], fill: 0)
                try f.create("/targets/\(key)", of: Int64.self, shape: [e.count], fill: -1)
                try f.setAttribute("options", .string(e.optionsJSON), on: maps)
                try f.setAttribute("target", .string(e.target), on: maps)
                try f.setAttribute("model_sha256", .string(e.modelSHA256), on: maps)
                try f.setAttribute("dataset_sha256", .string(e.datasetSHA256), on: maps)
                if let seed = e.seed { try f.setAttribute("seed", .integers([Int64(seed)]), on: maps) }
                try f.setAttribute("seconds", .floats([0]), on: maps)
                try f.setAttribute("probity_version", .string(ProbityVersion.string), on: maps)
                return
            }
            let samples = (r.integers["samples"] ?? []).map(Int.init)
            let n = try f.info("/done/\(key)").shape[0]
            let plane = (r.floats["maps"]?.count ?? 0) / max(1, samples.count)
            for (j, s) in samples.enumerated() {
                try f.write(maps, rowsFrom: s, Array(r.floats["maps"]![(j * plane)..<((j + 1) * plane)]))
                try f.write("/targets/\(key)", rowsFrom: s, [r.integers["targets"]![j]])
                for (k, v) in r.floats where k.hasPrefix("diag/") {
                    let path = "/diagnostics/\(key)/\(k.dropFirst(5))"
                    if !f.exists(path) { try f.create(path, of: Float.self, shape: [n], fill: .nan) }
                    try f.write(path, rowsFrom: s, [v[j]])
                }
                try f.write("/done/\(key)", rowsFrom: s, [UInt8(1)])
            }
            let total = (try f.attribute("seconds", on: maps)?.floatArray?.first).map(Double.init) ?? 0
            try f.setAttribute("seconds", .floats([total + (Double(r.header["seconds"] ?? "0") ?? 0)]), on: maps)
        }
    }

    public func close() { closeReader() }
}
