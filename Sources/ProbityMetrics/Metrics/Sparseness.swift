import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Sparseness (Chalasani et al. 2020, "Concise explanations of neural networks using
/// adversarial training"): the Gini index of the map's magnitudes, as Quantus computes it —
/// a = sort(|map| + 1e-7) ascending, G = Σᵢ (2i − n − 1)·aᵢ / (n·Σ a), i = 1…n. 0 for a flat map,
/// → 1 when one pixel holds everything. Higher is better (a concise explanation).
public struct Sparseness: Metric {
    public static let name = "sparseness"
    public static let summary = "Gini index of the attribution magnitudes (Chalasani et al. 2020; Quantus Sparseness); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = [OptionSpec("sign", default: "abs", .choice(["signed", "abs", "positive"]), "how maps are read (Quantus: abs)")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public static func gini(_ values: [Float]) -> Double {
        let a = values.map { Double(abs($0)) + 1e-7 }.sorted()
        let n = Double(a.count)
        var weighted = 0.0
        for (k, v) in a.enumerated() { weighted += (2 * Double(k + 1) - n - 1) * v }
        return weighted / (n * a.reduce(0, +))
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        input.perSample(sign: options.string("sign")) { _, map in Float(Sparseness.gini(map)) }
    }
}
