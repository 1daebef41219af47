import Foundation
import ProbityCore
import ProbityData
import ProbityMetrics

/// `probity merge DIR… --out DIR`: combines the folders of `probity run … --shard K/N` into
/// the folder one unsharded run would have written. It first checks that the shards belong to
/// the same suite (same fingerprint: model, dataset, samples, batch, seed, targets, explainer
/// and metric ids), that each of 1…N is there exactly once and finished (its `shard.json`
/// exists), and that their samples do not overlap; any problem stops it with a message naming
/// the folder, before anything is written. Then the score stores and attribution caches are
/// combined and `Aggregation` writes CSVs byte-identical to a single run's.
public struct Merge {
    public var shards: [String]
    public var out: String

    public init(shards: [String], out: String) { self.shards = shards; self.out = out }

    public struct Outcome: Sendable { public var shards: Int; public var samples: Int; public var rows: Int; public var summary: [Summary.Row] }

    /// Reads and checks the shard records; returns them ordered by K.
    public func check() throws -> [(dir: String, record: ShardRecord, shard: Shard)] {
        guard !shards.isEmpty else { throw ProbityError.invalidArgument("merge needs the shard folders (e.g. probity merge out/shards/* --out out)") }
        var found: [(String, ShardRecord, Shard)] = []
        for dir in shards {
            let record = try ShardRecord.read(dir + "/shard.json")
            let shard: Shard
            do { shard = try Shard(record.shard) } catch { throw ProbityError.badFile(dir + "/shard.json", "bad shard \(record.shard)") }
            found.append((dir, record, shard))
        }
        let first = found[0]
        for (dir, record, shard) in found.dropFirst() {
            if record.fingerprint != first.1.fingerprint {
                throw ProbityError.badFile(dir, "belongs to another suite run than \(first.0) (suite, model, dataset, samples or options differ)")
            }
            if shard.count != first.2.count { throw ProbityError.badFile(dir, "is shard \(shard) but \(first.0) is \(first.2): both must split into the same N") }
        }
        var byIndex: [Int: String] = [:]
        for (dir, _, shard) in found {
            if let other = byIndex[shard.index] { throw ProbityError.badFile(dir, "is shard \(shard), and so is \(other): each shard may be given once") }
            byIndex[shard.index] = dir
        }
        let missing = (1...first.2.count).filter { byIndex[$0] == nil }
        if !missing.isEmpty {
            throw ProbityError.invalidArgument("shard\(missing.count > 1 ? "s" : "") \(missing.map { "\($0)/\(first.2.count)" }.joined(separator: ", ")) missing; merge refuses a partial result (rerun the missing shard: it resumes)")
        }
        var seen: [Int: String] = [:]
        for (dir, record, _) in found {
            for s in record.samples {
                if let other = seen[s] { throw ProbityError.badFile(dir, "sample \(s) is also in \(other): shards overlap") }
                seen[s] = dir
            }
        }
        return found.sorted { $0.2.index < $1.2.index }.map { (dir: $0.0, record: $0.1, shard: $0.2) }
    }

    public func run() throws -> Outcome {
        let parts = try check()
        let lock = try RunLock(directory: out)
        defer { withExtendedLifetime(lock) {} }
        try FileManager.default.createDirectory(atPath: out + "/cache", withIntermediateDirectories: true)
        let record = parts[0].record
        let samples = parts.flatMap { $0.record.samples }.sorted()
        var labels = [Int](repeating: 0, count: (samples.last ?? 0) + 1)
        for p in parts { for (s, l) in zip(p.record.samples, p.record.labels) { labels[s] = l } }

        // Scores: every (metric, explainer) entry, each sample from the shard that ran it.
        let storePath = out + "/cache/scores.h5"
        let temporary = AtomicFile.temporaryPath(for: storePath)
        try? FileManager.default.removeItem(atPath: temporary)
        let merged = ScoreStore(path: temporary)
        let stores = parts.map { ScoreStore(path: $0.dir + "/cache/scores.h5") }
        defer { stores.forEach { $0.close() } }
        for metric in record.metrics {
            for explainer in record.explainers {
                var combined: ScoreStore.Entry? = nil
                var context = ""
                for (p, store) in zip(parts, stores) {
                    guard let e = try store.entry(metric: metric, explainer: explainer) else {
                        throw ProbityError.badFile(store.path, "has no scores of \(metric) on \(explainer); the shard is incomplete (rerun it)")
                    }
                    if let missing = p.record.samples.first(where: { !($0 < e.done.count && e.done[$0]) }) {
                        throw ProbityError.badFile(store.path, "has no \(metric) score of \(explainer) for sample \(missing); the shard is incomplete (rerun it)")
                    }
                    context = try store.context(metric: metric, explainer: explainer) ?? ""
                    if combined == nil {
                        combined = ScoreStore.Entry(variants: e.variants, values: [Float](repeating: .nan, count: e.values.count), status: [UInt8](repeating: 3, count: e.status.count),
                                                    curves: e.curves.map { [Float](repeating: .nan, count: $0.count) }, curveLength: e.curveLength,
                                                    done: [Bool](repeating: false, count: e.done.count), seconds: 0)
                    }
                    guard e.variants == combined!.variants, e.curveLength == combined!.curveLength, e.done.count == combined!.done.count else {
                        throw ProbityError.badFile(store.path, "\(metric) on \(explainer) has other variants or curve lengths than in \(parts[0].dir)")
                    }
                    let v = e.variants.count
                    for s in p.record.samples {
                        for k in 0..<v { combined!.values[s * v + k] = e.values[s * v + k]; combined!.status[s * v + k] = e.status[s * v + k] }
                        if let c = e.curves { for k in 0..<e.curveLength { combined!.curves![s * e.curveLength + k] = c[s * e.curveLength + k] } }
                        combined!.done[s] = true
                    }
                    combined!.seconds += e.seconds
                }
                try merged.put(metric: metric, explainer: explainer, combined!, context: context)
            }
        }
        merged.close()
        try AtomicFile.commit(temporary: temporary, to: storePath)

        // Maps: each shard's samples into one cache.
        let cachePath = out + "/cache/attributions.h5"
        try? FileManager.default.removeItem(atPath: cachePath)
        try? FileManager.default.removeItem(atPath: cachePath + ".journal")
        let cache = try AttributionCache(path: cachePath)
        defer { cache.close() }
        for explainer in record.explainers {
            for (i, p) in parts.enumerated() {
                let source = try AttributionCache(path: p.dir + "/cache/attributions.h5")
                defer { source.close() }
                guard let entry = try source.info(explainer) else { throw ProbityError.badFile(source.path, "has no maps of \(explainer); the shard is incomplete") }
                if i == 0 { try cache.prepare(entry, replace: true) }
                let targets = try source.targets(explainer), diagnostics = try source.diagnostics(explainer)
                for part in RunPlan(samples: p.record.samples, batch: 64).batches {
                    try cache.store(explainer, samples: part, maps: try source.maps(explainer, samples: part).flatMap { $0 }, targets: part.map { targets[$0] },
                                    diagnostics: diagnostics.mapValues { d in part.map { d[$0] } }, seconds: 0)
                }
            }
        }
        try cache.commit()

        let store = ScoreStore(path: storePath)
        defer { store.close() }
        let columns = try record.metrics.map { id -> (String, any Metric.Type) in
            (id, try MetricRegistry.type(named: String(id.split(separator: "@", maxSplits: 1)[0])))
        }
        let names = columns.map { $0.1.name }
        let metricColumns = columns.map { id, t in
            Aggregation.MetricColumn(key: id, name: names.filter { $0 == t.name }.count > 1 ? id : t.name, higherIsBetter: t.higherIsBetter, perClassVariants: t.perClassVariants)
        }
        let aggregated = try Aggregation(store: store, explainers: record.explainers, metrics: metricColumns, samples: samples, labels: labels, seed: record.seed)
            .write(to: out)
        // run.json: the shards' records combined.
        let records = try parts.map { try RunJSON.read($0.dir + "/run.json") }
        var run = records[0]
        run.command = "merge"
        run.samples = samples.count
        run.shards = parts.map { $0.shard.description }
        run.attributions = cachePath
        run.scores = storePath
        run.seconds = records.reduce(0) { $0 + $1.seconds }
        run.timings = records.flatMap(\.timings)
        try run.write(to: out + "/run.json")
        if let suite = FileManager.default.contents(atPath: parts[0].dir + "/suite.yaml") { try AtomicFile.write(suite, to: out + "/suite.yaml") }
        try ReportBuilder(directory: out).write()
        return Outcome(shards: parts.count, samples: samples.count, rows: aggregated.rows, summary: aggregated.summary)
    }
}
