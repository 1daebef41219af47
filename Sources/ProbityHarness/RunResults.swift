import Foundation
import ProbityCore
import ProbityMetrics
import ProbityReports

/// The result tables of a finished run folder, read back from its CSVs (what `gate` and
/// `compare` judge): summary rows and per-sample scores. Errors name the file and the line.
public struct RunResults: Sendable {
    public var directory: String
    public var summary: [Summary.Row]
    public var perSample: [ScoreRow]

    public init(directory: String) throws {
        self.directory = directory
        let summaryPath = directory + "/summary.csv", perSamplePath = directory + "/per_sample.csv"
        summary = try RunResults.table(summaryPath, header: ResultTables.summaryHeader).map { line, f in
            guard let mean = Double(f[3]), let low = Double(f[4]), let high = Double(f[5]), let n = Int(f[6]), let higher = Bool(f[8]) else {
                throw ProbityError.badInput(file: summaryPath, location: "line \(line)", problem: "a field is not a number")
            }
            return Summary.Row(explainer: f[0], metric: f[1], variant: f[2], mean: mean, low: low, high: high, n: n, rank: Int(f[7]), higherIsBetter: higher)
        }
        perSample = try RunResults.table(perSamplePath, header: ResultTables.perSampleHeader).map { line, f in
            guard let sample = Int(f[3]), let label = Int(f[4]), let value = Float(f[5]) else {
                throw ProbityError.badInput(file: perSamplePath, location: "line \(line)", problem: "sample, label or value is not a number")
            }
            return ScoreRow(explainer: f[0], metric: f[1], variant: f[2], sample: sample, label: label, value: value, status: f[6])
        }
    }

    static func table(_ path: String, header: [String]) throws -> [(Int, [String])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbityError.badFile(path, "missing: is this a finished `probity run` or `probity evaluate` folder?")
        }
        let rows = CSV.parse(String(decoding: data, as: UTF8.self))
        guard rows.first == header else { throw ProbityError.badInput(file: path, location: "line 1", problem: "expected the header \(header.joined(separator: ","))") }
        return try rows.dropFirst().enumerated().map { i, f in
            guard f.count == header.count else {
                throw ProbityError.badInput(file: path, location: "line \(i + 2)", problem: "\(f.count) fields, expected \(header.count)")
            }
            return (i + 2, f)
        }
    }

    /// The explainer keys in the run, in file order.
    public var explainers: [String] {
        var seen: [String] = []
        for r in summary where !seen.contains(r.explainer) && r.metric != "mean_rank" { seen.append(r.explainer) }
        return seen
    }

    /// Resolves an explainer as a user names it (key or bare name), or nil.
    public func explainer(_ name: String) -> [String] {
        if explainers.contains(name) { return [name] }
        return explainers.filter { $0.hasPrefix(name + "@") || ExplainerLabels.labels(explainers)[$0]?.name == name }
    }

    /// Per-sample values of one cell by sample (ok rows) and the count of rows per status.
    public func samples(explainer: String, metric: String, variant: String) -> (ok: [Int: Double], statuses: [String: Int]) {
        var ok: [Int: Double] = [:], statuses: [String: Int] = [:]
        for r in perSample where r.explainer == explainer && r.metric == metric && r.variant == variant {
            statuses[r.status, default: 0] += 1
            if r.status == "ok" { ok[r.sample] = Double(r.value) }
        }
        return (ok, statuses)
    }
}
