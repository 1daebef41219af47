import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The pointing game (Zhang et al. 2016, "Top-down neural attention by excitation backprop"),
/// as TorchRay scores it: the map's maximum (first in row-major order on ties) is a hit when a
/// ground-truth pixel lies closer than the tolerance (default 15 px at 224 px, scaled with the
/// image width; distance² < tolerance²). Per-sample value 1 or 0; the summary adds TorchRay's
/// per-class accuracy (mean over classes of hits / (hits + misses)). Variant `energy` is the
/// energy-based pointing game (Wang et al. 2020, "Score-CAM"): the share of the positive map
/// inside the ground truth. Higher is better.
///
/// Bookkeeping against TorchRay's `PointingGame` / `PointingGameBenchmark`:
/// - the ground truth is the boxes of the class explained (`--target`; TorchRay evaluates each
///   class present in the image, so `--target label` on single-label data is its setting);
/// - PASCAL "difficult" boxes (`/box_difficult`): a class whose boxes are all difficult is
///   skipped (TorchRay returns 0, neither hit nor miss; here the sample is `nan` and out of the
///   means); otherwise difficult boxes are part of the region, as TorchRay's `voc_as_mask`;
/// - `per_class` groups samples by their label and averages over the classes that have scored
///   samples; TorchRay divides hits by max(hits + misses, 1), so a class never scored counts
///   as accuracy 0 in its mean over all the dataset's classes. The two agree when every class
///   has a scored sample;
/// - `difficult` (default `none`) adds variant `difficult`: the same hit or miss on the pairs
///   of the EBP paper's "difficult" subset only (`DifficultSubset`: `ebp` computes the paper's
///   rule from the ground truth, a path reads TorchRay's flags file); the other samples are
///   `skipped` there (no row), and the summary adds `difficult/per_class`. TorchRay's table
///   has exactly these two columns, "All" and "Diff".
public struct PointingGame: Metric {
    public static let name = "pointing_game"
    public static let summary = "Hit when the map's maximum lies within 15 px (at 224 px) of the ground truth (Zhang et al. 2016; TorchRay); variant energy (Wang et al. 2020); higher is better"
    public static let higherIsBetter = true
    public static let needs: MetricNeeds = .groundTruth
    public static let perClass = true
    public static let perClassVariants = ["", "difficult"]
    public static let optionSpecs = [
        OptionSpec("tolerance", default: "auto", .text, "hit radius in pixels (auto: 15 at 224 px, scaled with the width)"),
        OptionSpec("difficult", default: "none", .text, "adds variant difficult, the EBP paper's subset: ebp (its rule: class area < 1/4 of the image, another class present) or TorchRay's flags file"),
        MetricRegistry.sign,
    ]
    public let options: Options
    let difficult: DifficultSubset
    public init(options: Options) throws {
        self.options = options
        difficult = try DifficultSubset(option: options.string("difficult"))
        guard options.string("tolerance") == "auto" || (Double(options.string("tolerance")) ?? -1) >= 0 else {
            throw ProbityError.invalidArgument("\(Self.name): tolerance must be auto or a number ≥ 0, got \(options.string("tolerance"))")
        }
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let (h, w) = (input.height, input.width)
        let tolerance: Double
        if options.string("tolerance") == "auto" { tolerance = 15 * Double(w) / 224 } else {
            guard let t = Double(options.string("tolerance")), t >= 0 else { throw ProbityError.invalidArgument("\(Self.name): tolerance must be auto or a number ≥ 0, got \(options.string("tolerance"))") }
            tolerance = t
        }
        var hits: [Float] = [], status: [String] = [], energy: [Float] = [], energyStatus: [String] = []
        var hard: [Float] = [], hardStatus: [String] = []
        for s in 0..<input.count {
            let region = try input.region(s, Self.name)
            let map = input.map(s, sign: options.string("sign"))
            let inSubset = try difficult.contains(input, sample: s, region: region, metric: Self.name)
            guard region.contains(true) else {
                hits.append(.nan); status.append("nan"); energy.append(.nan); energyStatus.append("nan")
                hard.append(.nan); hardStatus.append(inSubset == true ? "nan" : "skipped")
                continue
            }
            var best = 0
            for p in 1..<map.count where map[p] > map[best] { best = p }
            let (py, px) = (Double(best / w), Double(best % w))
            var hit = false
            for y in 0..<h where !hit {
                for x in 0..<w where region[y * w + x] {
                    if (Double(y) - py) * (Double(y) - py) + (Double(x) - px) * (Double(x) - px) < tolerance * tolerance { hit = true; break }
                }
            }
            hits.append(hit ? 1 : 0)
            status.append(MetricOutput.status(score: hits.last!, map: map))
            var inside = 0.0, total = 0.0
            for p in 0..<map.count where map[p] > 0 { total += Double(map[p]); if region[p] { inside += Double(map[p]) } }
            energy.append(total > 0 ? Float(inside / total) : .nan)
            energyStatus.append(MetricOutput.status(score: energy.last!, map: map))
            hard.append(inSubset == true ? hits.last! : .nan)
            hardStatus.append(inSubset == true ? status.last! : "skipped")
        }
        var variants: [MetricOutput.Variant] = [.init(name: "energy", scores: energy, status: energyStatus)]
        if difficult != .none { variants.append(.init(name: "difficult", scores: hard, status: hardStatus)) }
        return MetricOutput(scores: hits, status: status, variants: variants)
    }
}
