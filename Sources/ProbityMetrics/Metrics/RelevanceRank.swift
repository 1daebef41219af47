import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Relevance rank accuracy (Arras, Osman & Samek 2022): with K the ground truth's size in
/// pixels, the share of the K highest-ranked pixels (descending, ties by index) that lie
/// inside it. Higher is better.
public struct RelevanceRank: Metric {
    public static let name = "relevance_rank"
    public static let summary = "Share of the top-K pixels inside the K-pixel ground truth (Arras et al. 2022); higher is better"
    public static let higherIsBetter = true
    public static let needs: MetricNeeds = .groundTruth
    public static let optionSpecs = [MetricRegistry.sign]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        try input.perSample(sign: options.string("sign")) { s, map in
            let region = try input.region(s, Self.name)
            let k = region.lazy.filter { $0 }.count
            return k > 0 ? Float(Perturbation.descending(map).prefix(k).lazy.filter { region[$0] }.count) / Float(k) : .nan
        }
    }
}
