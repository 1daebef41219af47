import Foundation

/// One per-sample result, a row of `per_sample.csv`.
public struct ScoreRow: Sendable, Equatable {
    public var explainer, metric, variant: String
    public var sample, label: Int
    public var value: Float
    public var status: String
    public init(explainer: String, metric: String, variant: String, sample: Int, label: Int, value: Float, status: String) {
        self.explainer = explainer; self.metric = metric; self.variant = variant; self.sample = sample; self.label = label; self.value = value; self.status = status
    }
}

/// Per-sample results grouped for the statistics: for each (metric, variant), each
/// explainer's ok values by sample. Orders are deterministic (first appearance of metrics and
/// variants, explainers sorted), so the reports are byte-identical on a rerun.
public struct ScoreTable: Sendable {
    public struct Key: Hashable, Sendable { public var metric, variant: String }
    public let keys: [Key]
    public let explainers: [String]
    /// [key][explainer][sample] = value, ok rows only.
    public let values: [Key: [String: [Int: Double]]]
    /// Sample → label.
    public let labels: [Int: Int]
    /// Whether higher is better, by metric name.
    public let higherIsBetter: [String: Bool]

    public init(rows: [ScoreRow], higherIsBetter: [String: Bool]) {
        var keys: [Key] = [], seen = Set<Key>()
        var values: [Key: [String: [Int: Double]]] = [:]
        var labels: [Int: Int] = [:]
        for r in rows {
            let k = Key(metric: r.metric, variant: r.variant)
            if seen.insert(k).inserted { keys.append(k) }
            labels[r.sample] = r.label
            if values[k]?[r.explainer] == nil { values[k, default: [:]][r.explainer] = [:] }
            if r.status == "ok" { values[k]![r.explainer]![r.sample] = Double(r.value) }
        }
        self.keys = keys
        self.explainers = Array(Set(rows.map(\.explainer))).sorted()
        self.values = values
        self.labels = labels
        self.higherIsBetter = higherIsBetter
    }

    /// The explainers with rows under `key`, sorted.
    public func explainers(_ key: Key) -> [String] { (values[key] ?? [:]).keys.sorted() }

    /// Samples every given explainer has an ok value for, sorted.
    public func common(_ key: Key, _ explainers: [String]) -> [Int] {
        guard let first = explainers.first, let base = values[key]?[first] else { return [] }
        return base.keys.filter { s in explainers.allSatisfy { values[key]?[$0]?[s] != nil } }.sorted()
    }

    /// +1 when higher is better, −1 otherwise: multiply to rank "best first" by descending value.
    public func direction(_ key: Key) -> Double { higherIsBetter[key.metric] ?? true ? 1 : -1 }

    /// Ranks (1 = best, ties averaged) of `scores` under `key`'s direction.
    public func ranks(_ key: Key, _ scores: [Double]) -> [Double] {
        let d = direction(key)
        return Correlation.ranks(scores.map { -d * $0 })
    }
}
