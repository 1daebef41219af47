import Foundation
import ProbityCore
import ProbityData

/// The score store (DESIGN.md), beside the attribution cache: per metric and explainer, every
/// sample's scores so `evaluate` and `run` resume like `explain` does, and aggregation reads
/// only the store. Layout, under `/scores/<metric-id>/<explainer-key>/`:
/// - `values` float32 [N, V] and `status` uint8 [N, V] (0 ok, 1 nan, 2 constant, 3 failed),
///   one column per variant (attribute `variants`, a JSON list; "" is the main score);
/// - `curves` float32 [N, P] when the metric has curves (the first point unperturbed);
/// - `done` uint8 [N];
/// - attributes `context` (what else the scores depend on: model and dataset SHA-256, seed,
///   the explained and the scored class rule), `seconds`, `probity_version`.
/// An entry whose context differs from the run's is started anew. Writes go through a
/// `Journal`, one record per batch, as in `AttributionCache`.
public final class ScoreStore {
    public let path: String
    let journal: Journal
    private var reader: HDF5File?

    public init(path: String) {
        self.path = path
        journal = Journal(directory: path + ".journal")
    }

    deinit { reader?.close() }

    public static let statuses = ["ok", "nan", "constant", "failed", "skipped"]

    /// One metric's scores of one explainer's maps, for every sample of the dataset.
    public struct Entry: Sendable {
        public var variants: [String]
        public var values: [Float]
        public var status: [UInt8]
        public var curves: [Float]?
        public var curveLength: Int
        public var done: [Bool]
        public var seconds: Double

        public func value(_ sample: Int, _ variant: Int) -> Float { values[sample * variants.count + variant] }
        public func status(_ sample: Int, _ variant: Int) -> String { ScoreStore.statuses[Int(status[sample * variants.count + variant])] }
        /// Whether sample `sample` has a row under `variant`: scored, and not `skipped` (outside
        /// the variant's subset).
        public func hasRow(_ sample: Int, _ variant: Int) -> Bool { sample < done.count && done[sample] && status(sample, variant) != "skipped" }
        public func curve(_ sample: Int) -> ArraySlice<Float>? { curves.map { $0[(sample * curveLength)..<((sample + 1) * curveLength)] } }
    }

    /// One batch of results to record.
    public struct Batch: Sendable {
        public var samples: [Int]
        public var variants: [String]
        /// [n × V], status names as `statuses`.
        public var values: [Float]
        public var status: [String]
        public var curves: [[Float]]?
        public var seconds: Double
        public init(samples: [Int], variants: [String], values: [Float], status: [String], curves: [[Float]]?, seconds: Double) {
            self.samples = samples; self.variants = variants; self.values = values; self.status = status; self.curves = curves; self.seconds = seconds
        }
    }

    static func group(_ metric: String, _ explainer: String) -> String { "/scores/\(metric)/\(explainer)" }

    func file() throws -> HDF5File? {
        if let reader { return reader }
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        reader = try HDF5File(path: path, mode: .readOnly)
        return reader
    }

    static func recordName(_ kind: String, _ metric: String, _ explainer: String, _ first: Int? = nil) -> String {
        let hash = String(FileHash.sha256(Data("\(metric)\n\(explainer)".utf8)).prefix(20))
        return first.map { "\(kind)-\(hash)-\(String(format: "%09d", $0))" } ?? "\(kind)-\(hash)"
    }

    /// The context stored with an entry, or nil when there is none (pending entries included).
    public func context(metric: String, explainer: String) throws -> String? {
        let name = ScoreStore.recordName("entry", metric, explainer)
        if journal.names().contains(name) { return try journal.read(name).header["context"] }
        guard let f = try file(), f.exists(ScoreStore.group(metric, explainer) + "/done") else { return nil }
        return try f.attribute("context", on: ScoreStore.group(metric, explainer) + "/done")?.text
    }

    /// Readies the entry for `count` samples in `context`; an entry made in another context is
    /// started anew. Returns whether earlier scores were dropped.
    @discardableResult
    public func prepare(metric: String, explainer: String, count: Int, context: String) throws -> Bool {
        let existing = try self.context(metric: metric, explainer: explainer)
        if existing == context { return false }
        let prefix = ScoreStore.recordName("scores", metric, explainer) + "-"
        for name in journal.names() where name.hasPrefix(prefix) { journal.remove(name) }
        try journal.append(Journal.Record(header: ["metric": metric, "explainer": explainer, "count": String(count), "context": context]),
                           name: ScoreStore.recordName("entry", metric, explainer))
        return existing != nil
    }

    /// Records one batch's scores.
    public func store(metric: String, explainer: String, _ batch: Batch) throws {
        guard let first = batch.samples.first else { return }
        var floats = ["values": batch.values]
        if let curves = batch.curves, let width = curves.first?.count, curves.allSatisfy({ $0.count == width }) { floats["curves"] = curves.flatMap { $0 } }
        try journal.append(Journal.Record(header: ["metric": metric, "explainer": explainer, "seconds": String(batch.seconds)], floats: floats,
                                          integers: ["samples": batch.samples.map(Int64.init),
                                                     "status": batch.status.map { Int64(ScoreStore.statuses.firstIndex(of: $0) ?? 3) }],
                                          strings: ["variants": batch.variants]),
                           name: ScoreStore.recordName("scores", metric, explainer, first))
    }

    /// The entry's scores: the HDF5 file's and the pending records' together; nil when the
    /// entry was never prepared.
    public func entry(metric: String, explainer: String) throws -> Entry? {
        let g = ScoreStore.group(metric, explainer)
        let entryName = ScoreStore.recordName("entry", metric, explainer)
        let pendingEntry = journal.names().contains(entryName) ? try journal.read(entryName) : nil
        var e: Entry
        if let pendingEntry {
            let n = Int(pendingEntry.header["count"] ?? "") ?? 0
            e = Entry(variants: [], values: [], status: [], curves: nil, curveLength: 0, done: [Bool](repeating: false, count: n), seconds: 0)
        } else if let f = try file(), f.exists(g + "/done") {
            let done = try f.read(g + "/done", as: UInt8.self).map { $0 != 0 }
            let variantsJSON = try f.attribute("variants", on: g + "/done")?.text ?? "[]"
            let variants = (try? JSONSerialization.jsonObject(with: Data(variantsJSON.utf8)) as? [String]) ?? []
            e = Entry(variants: variants, values: [], status: [], curves: nil, curveLength: 0, done: done,
                      seconds: (try f.attribute("seconds", on: g + "/done")?.floatArray?.first).map(Double.init) ?? 0)
            if !variants.isEmpty && f.exists(g + "/values") {
                e.values = try f.read(g + "/values", as: Float.self)
                e.status = try f.read(g + "/status", as: UInt8.self)
            }
            if f.exists(g + "/curves") {
                e.curves = try f.read(g + "/curves", as: Float.self)
                e.curveLength = try f.info(g + "/curves").shape[1]
            }
        } else { return nil }
        let prefix = ScoreStore.recordName("scores", metric, explainer) + "-"
        for name in journal.names() where name.hasPrefix(prefix) { try apply(try journal.read(name), to: &e) }
        return e
    }

    /// Applies a batch record to an entry in memory (the same rule `commit` folds by).
    func apply(_ r: Journal.Record, to e: inout Entry) throws {
        let variants = r.strings["variants"] ?? []
        let n = e.done.count
        if e.variants.isEmpty && e.values.isEmpty {
            e.variants = variants
            e.values = [Float](repeating: .nan, count: n * variants.count)
            e.status = [UInt8](repeating: 3, count: n * variants.count)
        }
        guard variants == e.variants else {
            throw ProbityError.badFile(path, "\(r.header["metric"] ?? "") on \(r.header["explainer"] ?? ""): a batch reported variants \(variants), earlier ones \(e.variants)")
        }
        let samples = (r.integers["samples"] ?? []).map(Int.init)
        let v = variants.count
        if let curves = r.floats["curves"], !samples.isEmpty {
            let width = curves.count / samples.count
            if e.curves == nil { e.curves = [Float](repeating: .nan, count: n * width); e.curveLength = width }
            if width == e.curveLength { for (j, s) in samples.enumerated() { for k in 0..<width { e.curves![s * width + k] = curves[j * width + k] } } }
        }
        for (j, s) in samples.enumerated() where s < n {
            for k in 0..<v {
                e.values[s * v + k] = r.floats["values"]![j * v + k]
                e.status[s * v + k] = UInt8(r.integers["status"]![j * v + k])
            }
            e.done[s] = true
        }
        e.seconds += Double(r.header["seconds"] ?? "0") ?? 0
    }

    /// The (metric, explainer) pairs in the store, file and pending records together.
    public func entries() throws -> [(metric: String, explainer: String)] {
        var out = Set<[String]>()
        if let f = try file(), f.exists("/scores") {
            for m in try f.members(of: "/scores") { for e in try f.members(of: "/scores/\(m)") { out.insert([m, e]) } }
        }
        for name in journal.names() where name.hasPrefix("entry-") {
            let h = try journal.read(name).header
            out.insert([h["metric"] ?? "", h["explainer"] ?? ""])
        }
        return out.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
    }

    /// Writes a whole entry (merging shards): replaces what the store holds for it.
    public func put(metric: String, explainer: String, _ e: Entry, context: String) throws {
        let g = ScoreStore.group(metric, explainer)
        closeReader()
        let writer = try HDF5File(path: path, mode: FileManager.default.fileExists(atPath: path) ? .readWrite : .truncate)
        defer { writer.close() }
        try ScoreStore.write(e, group: g, context: context, to: writer)
    }

    static func write(_ e: Entry, group g: String, context: String, to f: HDF5File) throws {
        if f.exists(g) { try f.remove(g) }
        let n = e.done.count, v = e.variants.count
        // Chunked and compressed: entries are sized for the whole dataset, rows not run are fill.
        let rows = max(1, min(n, 4096))
        try f.write(g + "/done", e.done.map { $0 ? UInt8(1) : 0 }, shape: [n], chunks: n > 0 ? [rows] : nil, compression: n > 0 ? 4 : nil)
        if v > 0 && n > 0 {
            try f.write(g + "/values", e.values, shape: [n, v], chunks: [rows, v], compression: 4)
            try f.write(g + "/status", e.status, shape: [n, v], chunks: [rows, v], compression: 4)
        }
        if let curves = e.curves, e.curveLength > 0, n > 0 { try f.write(g + "/curves", curves, shape: [n, e.curveLength], chunks: [max(1, min(n, 512)), e.curveLength], compression: 4) }
        let variants = String(decoding: try JSONSerialization.data(withJSONObject: e.variants), as: UTF8.self)
        try f.setAttribute("variants", .string(variants), on: g + "/done")
        try f.setAttribute("context", .string(context), on: g + "/done")
        try f.setAttribute("seconds", .floats([e.seconds]), on: g + "/done")
        try f.setAttribute("probity_version", .string(ProbityVersion.string), on: g + "/done")
    }

    func closeReader() { reader?.close(); reader = nil }

    /// Folds the pending records into the HDF5 file: each touched entry is rewritten whole.
    public func commit() throws {
        let names = journal.names()
        guard !names.isEmpty else { return }
        // Entries touched by pending records, each read (file + records) before the fold.
        var touched: [[String]] = []
        for name in names {
            let h = try journal.read(name).header
            let pair = [h["metric"] ?? "", h["explainer"] ?? ""]
            if !touched.contains(pair) { touched.append(pair) }
        }
        var merged: [(String, String, Entry, String)] = []
        for pair in touched {
            guard let e = try entry(metric: pair[0], explainer: pair[1]) else { continue }
            merged.append((pair[0], pair[1], e, try context(metric: pair[0], explainer: pair[1]) ?? ""))
        }
        closeReader()
        var first = true
        try journal.fold(into: path) { f, _ in
            guard first else { return }
            first = false
            for (m, x, e, c) in merged { try ScoreStore.write(e, group: ScoreStore.group(m, x), context: c, to: f) }
        }
    }

    public func close() { closeReader() }
}
