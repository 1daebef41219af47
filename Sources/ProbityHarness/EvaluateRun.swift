import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX

/// `probity evaluate`: metrics over the maps of an attribution cache, per sample, with the
/// tidy outputs DESIGN.md fixes: `per_sample.csv`
/// (`explainer,metric,variant,sample,label,value,status`), `summary.csv`
/// (`explainer,metric,variant,mean,ci_low,ci_high,n,rank,higher_is_better`, a seeded
/// bootstrap 95 % interval over samples with status ok) and `curves.h5`
/// (`/curves/<metric>/<explainer>` float32 [N, steps + 1]).
public struct EvaluateRun {
    public var modelPath: String
    public var datasetPath: String
    public var attributionsPath: String
    /// Explainer ids in the cache (empty: every entry).
    public var explainers: [String] = []
    public var metrics: [any Metric]
    public var out: String
    public var seed: UInt64 = 0
    public var batch = 8

    public init(modelPath: String, datasetPath: String, attributionsPath: String, metrics: [any Metric], out: String) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.attributionsPath = attributionsPath; self.metrics = metrics; self.out = out
    }

    public struct Row: Sendable { public var explainer, metric, variant: String; public var sample, label: Int; public var value: Float; public var status: String }

    public func run(progress: ((Int, Int) -> Void)? = nil) throws -> [Row] {
        let model = try ONNXModel(path: modelPath)
        let dataset = try Dataset(path: datasetPath)
        let cache = try HDF5File(path: attributionsPath)
        let available = cache.exists("/attributions") ? try cache.members(of: "/attributions") : []
        let ids = explainers.isEmpty ? available : explainers
        for id in ids where !available.contains(id) {
            throw ProbityError.badFile(attributionsPath, "no maps for explainer \(id); the file holds: \(available.joined(separator: ", "))")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let curvesFile = try HDF5File(path: out + "/curves.h5", mode: .truncate)
        var rows: [Row] = []
        let total = ids.count * metrics.count
        var done = 0
        progress?(0, total)
        for id in ids {
            let flags = try cache.read("/done/\(id)", as: UInt8.self)
            let targets = try cache.read("/targets/\(id)", as: Int64.self).map(Int.init)
            let samples = flags.indices.filter { flags[$0] != 0 }
            for metric in metrics {
                var curves: [[Float]] = []
                var start = 0
                while start < samples.count {
                    let part = Array(samples[start..<min(samples.count, start + batch)])
                    let x = Tensor.concatenate(batch: try part.map { try dataset.modelInput($0..<($0 + 1)) })
                    let maps = Tensor(shape: [part.count, dataset.height, dataset.width],
                                      storage: try part.flatMap { try cache.read("/attributions/\(id)", rows: $0..<($0 + 1), as: Float.self) })
                    let result = try metric.evaluate(MetricInput(x: x, maps: maps, targets: part.map { targets[$0] }, samples: part, seed: seed,
                                                                 preprocessing: dataset.preprocessing), model: model)
                    for (j, s) in part.enumerated() {
                        rows.append(Row(explainer: id, metric: type(of: metric).name, variant: "", sample: s, label: dataset.labels[s],
                                        value: result.scores[j], status: result.status[j]))
                    }
                    curves += result.curves ?? []
                    start += batch
                }
                if let width = curves.first?.count, !curves.isEmpty {
                    try curvesFile.write("/curves/\(type(of: metric).name)/\(id)", curves.flatMap { $0 }, shape: [curves.count, width])
                    try curvesFile.write("/samples/\(type(of: metric).name)/\(id)", samples.map(Int64.init), shape: [samples.count])
                }
                done += 1
                progress?(done, total)
            }
        }
        curvesFile.close()
        try writePerSample(rows)
        try writeSummary(rows)
        return rows
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    func writePerSample(_ rows: [Row]) throws {
        var text = "explainer,metric,variant,sample,label,value,status\n"
        for r in rows {
            text += [r.explainer, r.metric, r.variant, String(r.sample), String(r.label), r.value.isFinite ? String(r.value) : "nan", r.status]
                .map(EvaluateRun.csvField).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: out + "/per_sample.csv")
    }

    /// Mean and seeded percentile-bootstrap 95 % interval (1000 resamples) of the ok values.
    public static func bootstrap(_ values: [Double], seed: UInt64, stream: String) -> (mean: Double, low: Double, high: Double) {
        guard !values.isEmpty else { return (.nan, .nan, .nan) }
        let mean = values.reduce(0, +) / Double(values.count)
        var rng = RNG(seed: seed, stream: ["bootstrap", .name(stream)])
        var means: [Double] = []
        for _ in 0..<1000 {
            var s = 0.0
            for _ in values.indices { s += values[rng.int(below: values.count)] }
            means.append(s / Double(values.count))
        }
        means.sort()
        return (mean, means[24], means[974])
    }

    func writeSummary(_ rows: [Row]) throws {
        var text = "explainer,metric,variant,mean,ci_low,ci_high,n,rank,higher_is_better\n"
        for metric in metrics {
            let name = type(of: metric).name, higher = type(of: metric).higherIsBetter
            let explainersHere = Array(Set(rows.filter { $0.metric == name }.map(\.explainer))).sorted()
            var stats: [(String, (mean: Double, low: Double, high: Double), Int)] = []
            for e in explainersHere {
                let values = rows.filter { $0.metric == name && $0.explainer == e && $0.status == "ok" }.map { Double($0.value) }
                stats.append((e, EvaluateRun.bootstrap(values, seed: seed, stream: "\(name)/\(e)"), values.count))
            }
            let ordered = stats.filter { $0.1.mean.isFinite }.sorted { higher ? $0.1.mean > $1.1.mean : $0.1.mean < $1.1.mean }.map(\.0)
            for (e, st, n) in stats {
                let rank = ordered.firstIndex(of: e).map { String($0 + 1) } ?? ""
                text += [e, name, "", String(st.mean), String(st.low), String(st.high), String(n), rank, String(higher)].map(EvaluateRun.csvField).joined(separator: ",") + "\n"
            }
        }
        try AtomicFile.write(Data(text.utf8), to: out + "/summary.csv")
    }
}
