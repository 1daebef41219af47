import Foundation
import ProbityCore
import ProbityMetrics
import ProbityReports

/// The result tables of a finished run folder, read back from its CSVs (what `gate` and
/// `compare` judge): summary rows and per-sample scores, parsed by the report's
/// `ResultTableReader`. Errors name the file and the line.
public struct RunResults: Sendable {
    public var directory: String
    public var summary: [SummaryRow]
    public var perSample: [ScoreRow]

    public init(directory: String) throws {
        self.directory = directory
        summary = try ResultTableReader.summary(try RunResults.text(directory + "/summary.csv"), path: directory + "/summary.csv")
        perSample = try ResultTableReader.perSample(try RunResults.text(directory + "/per_sample.csv"), path: directory + "/per_sample.csv")
    }

    static func text(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbityError.badFile(path, "missing: is this a finished `probity run` or `probity evaluate` folder?")
        }
        return String(decoding: data, as: UTF8.self)
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
