import Foundation
import ProbityCore
import ProbityData

/// The attribution cache (DESIGN.md): `/attributions/<explainer-id>` float32 [N, H, W] indexed
/// by dataset sample, one chunk per sample; `/done/<id>` uint8 [N] flags; `/targets/<id>` int64
/// [N] (the class each map explains); `/diagnostics/<id>/<name>` float32 [N]. Attributes on the
/// maps: options (JSON), target rule, model and dataset SHA-256, seconds, Probity version.
/// Maps are written per sample as they are computed, the flag after the map, so a run that
/// stops loses nothing and a rerun computes only what is missing.
public final class AttributionCache {
    public static let probityVersion = "0.3.0"
    public let path: String
    let file: HDF5File

    public init(path: String) throws {
        self.path = path
        file = try HDF5File(path: path, mode: FileManager.default.fileExists(atPath: path) ? .readWrite : .truncate)
    }

    public struct Entry: Sendable {
        public var id: String
        public var optionsJSON: String
        public var target: String
        public var modelSHA256: String
        public var datasetSHA256: String
    }

    /// Opens (or creates) the entry for `entry.id` sized for `count` samples of h×w. An entry
    /// made with another model, dataset or target rule is an error unless `overwrite`.
    public func prepare(_ entry: Entry, count: Int, height: Int, width: Int, overwrite: Bool) throws {
        let maps = "/attributions/\(entry.id)"
        if file.exists(maps) && !overwrite {
            let info = try file.info(maps)
            let model = try file.attribute("model_sha256", on: maps)?.text
            let dataset = try file.attribute("dataset_sha256", on: maps)?.text
            let target = try file.attribute("target", on: maps)?.text
            var problems: [String] = []
            if info.shape != [count, height, width] { problems.append("shape \(info.shape), expected \([count, height, width])") }
            if model != entry.modelSHA256 { problems.append("another model (SHA-256 \(model ?? "none"))") }
            if dataset != entry.datasetSHA256 { problems.append("another dataset (SHA-256 \(dataset ?? "none"))") }
            if target != entry.target { problems.append("target \(target ?? "none"), not \(entry.target)") }
            if !problems.isEmpty {
                throw ProbityError.badFile(path, "\(maps) was made with \(problems.joined(separator: ", ")); use another --out or --overwrite")
            }
            return
        }
        try file.create(maps, of: Float.self, shape: [count, height, width], chunks: [1, height, width], compression: 4, fill: 0)
        try file.create("/done/\(entry.id)", of: UInt8.self, shape: [count], fill: 0)
        try file.create("/targets/\(entry.id)", of: Int64.self, shape: [count], fill: -1)
        try file.setAttribute("options", .string(entry.optionsJSON), on: maps)
        try file.setAttribute("target", .string(entry.target), on: maps)
        try file.setAttribute("model_sha256", .string(entry.modelSHA256), on: maps)
        try file.setAttribute("dataset_sha256", .string(entry.datasetSHA256), on: maps)
        try file.setAttribute("seconds", .floats([0]), on: maps)
        try file.setAttribute("probity_version", .string(AttributionCache.probityVersion), on: maps)
    }

    /// Samples already computed for `id`.
    public func done(_ id: String) throws -> [Bool] {
        try file.read("/done/\(id)", as: UInt8.self).map { $0 != 0 }
    }

    /// Stores sample `sample`'s map, target and diagnostics, then marks it done.
    public func store(_ id: String, sample: Int, map: [Float], target: Int, diagnostics: [String: Float], seconds: Double) throws {
        try file.write("/attributions/\(id)", rowsFrom: sample, map)
        try file.write("/targets/\(id)", rowsFrom: sample, [Int64(target)])
        for (name, value) in diagnostics {
            let path = "/diagnostics/\(id)/\(name)"
            if !file.exists(path) {
                let n = try file.info("/done/\(id)").shape[0]
                try file.create(path, of: Float.self, shape: [n], fill: .nan)
            }
            try file.write(path, rowsFrom: sample, [value])
        }
        let total = (try file.attribute("seconds", on: "/attributions/\(id)")?.floatArray?.first).map(Double.init) ?? 0
        try file.setAttribute("seconds", .floats([total + seconds]), on: "/attributions/\(id)")
        try file.write("/done/\(id)", rowsFrom: sample, [UInt8(1)])
    }

    /// The maps of `id` for `samples`.
    public func maps(_ id: String, samples: [Int]) throws -> [[Float]] {
        try samples.map { try file.read("/attributions/\(id)", rows: $0..<($0 + 1), as: Float.self) }
    }

    public func close() { file.close() }
}
