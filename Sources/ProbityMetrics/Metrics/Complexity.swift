import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Complexity (Bhatt, Weller & Moura 2020, "Evaluating and aggregating feature-based model
/// explanations"): the Shannon entropy (natural log) of the map's magnitudes normalized to sum
/// 1, as Quantus' `Complexity` (scipy.stats.entropy). 0 when one pixel holds everything, ln n for
/// a flat map. Scale-free (the normalization to sum 1 absorbs Quantus' division by the
/// maximum). `sign`: `abs` (Quantus) or `positive`; `signed` is refused, since an entropy of
/// signed values is not defined. Lower is better.
public struct Complexity: Metric {
    public static let name = "complexity"
    public static let summary = "Entropy of the normalized attribution magnitudes (Bhatt et al. 2020; Quantus Complexity); lower is better"
    public static let higherIsBetter = false
    public static let optionSpecs = [OptionSpec("sign", default: "abs", .choice(["abs", "positive"]), "how maps are read (Quantus: abs; signed is refused: an entropy needs non-negative values)")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public static func entropy(_ values: [Float]) -> Double {
        let a = values.map { Double(abs($0)) }
        let total = a.reduce(0, +)
        guard total > 0 else { return .nan }
        return -a.reduce(0) { $0 + ($1 > 0 ? ($1 / total) * log($1 / total) : 0) }
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        input.perSample(sign: options.string("sign")) { _, map in Float(Complexity.entropy(map)) }
    }
}
