import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Relevance mass accuracy (Arras, Osman & Samek 2022, "CLEVR-XAI: a benchmark dataset for the
/// ground truth evaluation of neural network explanations"): the share of the map's relevance
/// inside the ground truth, R_within / R_total, over positive relevance by default (as the
/// paper). 1 when all relevance is on the object; higher is better.
public struct RelevanceMass: Metric {
    public static let name = "relevance_mass"
    public static let summary = "Share of positive relevance inside the ground truth (Arras et al. 2022); higher is better"
    public static let higherIsBetter = true
    public static let needs: MetricNeeds = .groundTruth
    public static let optionSpecs = [OptionSpec("sign", default: "positive", .choice(["signed", "abs", "positive"]), "which relevance counts (the paper: positive)")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try input.perSample(sign: options.string("sign")) { s, map in
            let region = try input.region(s, Self.name)
            var inside = 0.0, total = 0.0
            for p in map.indices { total += Double(map[p]); if region[p] { inside += Double(map[p]) } }
            return region.contains(true) && total != 0 ? Float(inside / total) : .nan
        }
    }
}
