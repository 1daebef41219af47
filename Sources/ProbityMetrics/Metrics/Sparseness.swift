import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Sparseness (Chalasani et al. 2020, "Concise explanations of neural networks using
/// adversarial training"): the Gini index of the map's magnitudes, as Quantus' `Sparseness`
/// with its defaults (`abs=True`, `normalise=True` with `normalise_by_max`) computes it —
/// m = |map| / max |map| (an all-zero map stays zero), a = sort(m + 1e-7) ascending,
/// G = Σᵢ (2i − n − 1)·aᵢ / (n·Σ a), i = 1…n. Dividing by the maximum before the 1e-7 offset
/// makes the score independent of the map's scale (before issue 14 the offset was added to the
/// raw map, so [1e-7, 0, 0, 0] scored 0.15 instead of Quantus' 0.75). 0 for a flat map,
/// → (n − 1)/n when one pixel holds everything. Higher is better (a concise explanation).
/// `sign`: `abs` (Quantus) or `positive` (negative relevance counts as none); `signed` is
/// refused, since a Gini index of signed values is not defined.
public struct Sparseness: Metric {
    public static let name = "sparseness"
    public static let summary = "Gini index of the attribution magnitudes (Chalasani et al. 2020; Quantus Sparseness); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = [OptionSpec("sign", default: "abs", .choice(["abs", "positive"]), "how maps are read (Quantus: abs; signed is refused: the Gini index needs non-negative values)")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public static func gini(_ values: [Float]) -> Double {
        let magnitudes = values.map { Double(abs($0)) }
        let peak = magnitudes.max() ?? 0
        let a = magnitudes.map { (peak > 0 ? $0 / peak : $0) + 1e-7 }.sorted()
        let n = Double(a.count)
        var weighted = 0.0
        for (k, v) in a.enumerated() { weighted += (2 * Double(k + 1) - n - 1) * v }
        return weighted / (n * a.reduce(0, +))
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        input.perSample(sign: options.string("sign")) { _, map in Float(Sparseness.gini(map)) }
    }
}
