import Foundation
import ProbityCore
import ProbityMetrics

/// The rows of `summary.csv`, `pairwise.csv` and `reliability.csv` as a report reads them back.
/// They mirror ProbityMetrics' `Summary.Row`, `Pairwise.Row` and `Reliability.Row` field for
/// field (those have no public initializer, so a reader outside ProbityMetrics cannot build
/// them) and convert from them, so a caller holding the rows in memory need not re-read files.
public struct SummaryRow: Sendable, Equatable {
    public var explainer, metric, variant: String
    public var mean, low, high: Double
    public var n: Int
    public var rank: Int?
    public var higherIsBetter: Bool

    public init(explainer: String, metric: String, variant: String, mean: Double, low: Double, high: Double, n: Int, rank: Int?, higherIsBetter: Bool) {
        self.explainer = explainer; self.metric = metric; self.variant = variant
        self.mean = mean; self.low = low; self.high = high; self.n = n; self.rank = rank; self.higherIsBetter = higherIsBetter
    }

    public init(_ r: Summary.Row) {
        self.init(explainer: r.explainer, metric: r.metric, variant: r.variant, mean: r.mean, low: r.low, high: r.high, n: r.n, rank: r.rank, higherIsBetter: r.higherIsBetter)
    }
}

/// A row of `pairwise.csv`: a paired Wilcoxon test between two explainers on one metric.
public struct PairwiseRow: Sendable, Equatable {
    public var metric, variant, a, b: String
    public var n: Int
    public var meanDifference, statistic, p, pHolm: Double
    /// The better explainer's id, or "" when neither is.
    public var better: String

    public init(metric: String, variant: String, a: String, b: String, n: Int, meanDifference: Double, statistic: Double, p: Double, pHolm: Double, better: String) {
        self.metric = metric; self.variant = variant; self.a = a; self.b = b; self.n = n
        self.meanDifference = meanDifference; self.statistic = statistic; self.p = p; self.pHolm = pHolm; self.better = better
    }

    public init(_ r: Pairwise.Row) {
        self.init(metric: r.metric, variant: r.variant, a: r.a, b: r.b, n: r.n, meanDifference: r.meanDifference, statistic: r.statistic, p: r.p, pHolm: r.pHolm, better: r.better)
    }
}

/// A row of `reliability.csv`: Krippendorff's α of a metric (`inter_rater`) or the agreement
/// of two metrics (`inter_method`).
public struct ReliabilityRow: Sendable, Equatable {
    public var kind, metric, variant, otherMetric, otherVariant: String
    public var value: Double
    public var n: Int

    public init(kind: String, metric: String, variant: String, otherMetric: String, otherVariant: String, value: Double, n: Int) {
        self.kind = kind; self.metric = metric; self.variant = variant; self.otherMetric = otherMetric; self.otherVariant = otherVariant
        self.value = value; self.n = n
    }

    public init(_ r: Reliability.Row) {
        self.init(kind: r.kind, metric: r.metric, variant: r.variant, otherMetric: r.otherMetric, otherVariant: r.otherVariant, value: r.value, n: r.n)
    }
}

/// Reads the result CSVs back into rows, checking the header against `ResultTables` and every
/// number, so a bad file is an error naming the file, the line and the field.
public enum ResultTableReader {
    /// The rows of `text` (from `path`) as dictionaries keyed by `header`, with their line numbers.
    static func records(_ text: String, path: String, header: [String]) throws -> [(line: Int, fields: [String: String])] {
        let rows = CSV.parse(text)
        guard let first = rows.first else { throw ProbityError.badFile(path, "is empty; expected the header \(header.joined(separator: ","))") }
        guard first == header else {
            throw ProbityError.badFile(path, "expected the header \(header.joined(separator: ",")), found \(first.joined(separator: ","))")
        }
        return try rows.dropFirst().enumerated().map { i, row in
            guard row.count == header.count else {
                throw ProbityError.badInput(file: path, location: "line \(i + 2)", problem: "expected \(header.count) fields, found \(row.count)")
            }
            return (i + 2, Dictionary(uniqueKeysWithValues: zip(header, row)))
        }
    }

    /// Field `key` of a record as a string, with the `'` that `CSV.field` put before a
    /// formula-like name removed again.
    static func field(_ r: (line: Int, fields: [String: String]), _ key: String) -> String {
        let s = r.fields[key]!
        if s.hasPrefix("'"), let second = s.dropFirst().first, "=+-@".contains(second) { return String(s.dropFirst()) }
        return s
    }

    static func double(_ r: (line: Int, fields: [String: String]), _ key: String, path: String) throws -> Double {
        let s = r.fields[key]!
        if s == "nan" || s == "" { return .nan }
        guard let v = Double(s) else { throw ProbityError.badInput(file: path, location: "line \(r.line), \(key)", problem: "expected a number, found \"\(s)\"") }
        return v
    }

    static func int(_ r: (line: Int, fields: [String: String]), _ key: String, path: String) throws -> Int {
        let s = r.fields[key]!
        guard let v = Int(s) else { throw ProbityError.badInput(file: path, location: "line \(r.line), \(key)", problem: "expected an integer, found \"\(s)\"") }
        return v
    }

    public static func summary(_ text: String, path: String) throws -> [SummaryRow] {
        try records(text, path: path, header: ResultTables.summaryHeader).map { r in
            let rank = r.fields["rank"]!
            guard let higher = Bool(r.fields["higher_is_better"]!) else {
                throw ProbityError.badInput(file: path, location: "line \(r.line), higher_is_better", problem: "expected true or false, found \"\(r.fields["higher_is_better"]!)\"")
            }
            return SummaryRow(explainer: field(r, "explainer"), metric: field(r, "metric"), variant: field(r, "variant"),
                              mean: try double(r, "mean", path: path), low: try double(r, "ci_low", path: path), high: try double(r, "ci_high", path: path),
                              n: try int(r, "n", path: path), rank: rank.isEmpty ? nil : try int(r, "rank", path: path), higherIsBetter: higher)
        }
    }

    static func pairwise(_ text: String, path: String) throws -> [PairwiseRow] {
        try records(text, path: path, header: ResultTables.pairwiseHeader).map { r in
            PairwiseRow(metric: field(r, "metric"), variant: field(r, "variant"), a: field(r, "explainer_a"), b: field(r, "explainer_b"),
                        n: try int(r, "n", path: path), meanDifference: try double(r, "mean_difference", path: path),
                        statistic: try double(r, "statistic", path: path), p: try double(r, "p_value", path: path),
                        pHolm: try double(r, "p_holm", path: path), better: field(r, "better"))
        }
    }

    static func reliability(_ text: String, path: String) throws -> [ReliabilityRow] {
        try records(text, path: path, header: ResultTables.reliabilityHeader).map { r in
            ReliabilityRow(kind: field(r, "kind"), metric: field(r, "metric"), variant: field(r, "variant"), otherMetric: field(r, "other_metric"),
                           otherVariant: field(r, "other_variant"), value: try double(r, "value", path: path), n: try int(r, "n", path: path))
        }
    }

    /// The main-variant rows of `per_sample.csv` (what the report counts), read line by line with
    /// repeated names shared, so memory stays small for runs over many samples: per-layer and
    /// per-measure variant rows, most of the file, are never held.
    static func perSampleMain(path: String) throws -> [ScoreRow] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot read the file") }
        var rows: [ScoreRow] = []
        var names: [Substring: String] = [:]
        func intern(_ s: Substring) -> String {
            if let known = names[s] { return known }
            let string = String(s)
            names[s] = string
            return string
        }
        var lineNumber = 0
        let header = ResultTables.perSampleHeader
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var start = 0
            let bytes = raw.bindMemory(to: UInt8.self)
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                lineNumber += 1
                let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                start = end + 1
                if line.isEmpty { continue }
                // Quoted fields (ids with commas) go through the full parser; the rest split fast.
                let fields: [Substring] = line.contains("\"") ? (CSV.parse(line).first ?? []).map { Substring($0) } : line.split(separator: ",", omittingEmptySubsequences: false)
                if lineNumber == 1 {
                    guard fields.map(String.init) == header else {
                        throw ProbityError.badFile(path, "expected the header \(header.joined(separator: ",")), found \(line)")
                    }
                    continue
                }
                guard fields.count == header.count else {
                    throw ProbityError.badInput(file: path, location: "line \(lineNumber)", problem: "expected \(header.count) fields, found \(fields.count)")
                }
                guard fields[2].isEmpty else { continue }
                guard let sample = Int(fields[3]), let label = Int(fields[4]) else {
                    throw ProbityError.badInput(file: path, location: "line \(lineNumber)", problem: "sample and label must be integers")
                }
                let value: Float = fields[5] == "nan" || fields[5].isEmpty ? .nan : (Float(fields[5]) ?? .nan)
                var explainer = intern(fields[0])
                if explainer.hasPrefix("'"), let second = explainer.dropFirst().first, "=+-@".contains(second) { explainer = String(explainer.dropFirst()) }
                rows.append(ScoreRow(explainer: explainer, metric: intern(fields[1]), variant: "", sample: sample, label: label, value: value, status: intern(fields[6])))
            }
        }
        if lineNumber == 0 { throw ProbityError.badFile(path, "is empty; expected the header \(header.joined(separator: ","))") }
        return rows
    }

    public static func perSample(_ text: String, path: String) throws -> [ScoreRow] {
        try records(text, path: path, header: ResultTables.perSampleHeader).map { r in
            ScoreRow(explainer: field(r, "explainer"), metric: field(r, "metric"), variant: field(r, "variant"),
                     sample: try int(r, "sample", path: path), label: try int(r, "label", path: path),
                     value: Float(try double(r, "value", path: path)), status: field(r, "status"))
        }
    }
}
