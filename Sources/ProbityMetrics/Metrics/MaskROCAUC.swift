import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Attribution-vs-mask ROC AUC (as Quantus `AUC`, scikit-learn's `roc_auc_score` of the
/// ground-truth pixels against the map's values): the probability that a random object pixel
/// outranks a random background pixel, ties counted half (Mann–Whitney). 0.5 is chance; higher
/// is better.
public struct MaskROCAUC: Metric {
    public static let name = "mask_roc_auc"
    public static let summary = "ROC AUC of the map as a detector of ground-truth pixels (Quantus AUC); higher is better"
    public static let higherIsBetter = true
    public static let needs: MetricNeeds = .groundTruth
    public static let optionSpecs = [MetricRegistry.sign]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public static func auc(scores: [Float], positive: [Bool]) -> Double {
        let ranks = Correlation.ranks(scores)
        let n1 = positive.lazy.filter { $0 }.count, n0 = positive.count - n1
        guard n1 > 0, n0 > 0 else { return .nan }
        let sum = zip(ranks, positive).reduce(0.0) { $0 + ($1.1 ? $1.0 : 0) }
        return (sum - Double(n1) * Double(n1 + 1) / 2) / (Double(n1) * Double(n0))
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try input.perSample(sign: options.string("sign")) { s, map in Float(Self.auc(scores: map, positive: try input.region(s, Self.name))) }
    }
}
