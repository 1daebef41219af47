import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Faithfulness correlation (Bhatt, Weller & Moura 2020, "Evaluating and aggregating
/// feature-based model explanations"), as Quantus computes it: `runs` times (default 100) a
/// random subset of `subset` pixels (default the image width, 224 at 224 px) is set to the
/// substrate (default `black`); the score is the Pearson correlation between the subsets'
/// summed attributions and the drops of the target's score (logit by default, as Quantus).
/// Higher is better.
public struct FaithfulnessCorrelation: Metric {
    public static let name = "faithfulness_correlation"
    public static let summary = "Pearson correlation of summed attribution and score drop over random pixel subsets (Bhatt et al. 2020); higher is better"
    public static let higherIsBetter = true
    public static let optionSpecs = [
        OptionSpec("runs", default: "100", .int(2...100_000), "random subsets"),
        OptionSpec("subset", default: "auto", .text, "pixels per subset (auto: the image width)"),
        OptionSpec("substrate", default: "black", .baseline, "what the subset's pixels become"),
        Perturbation.scoreSpec("logit"),
        MetricRegistry.sign,
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        guard options.string("subset") == "auto" || (Int(options.string("subset")) ?? 0) > 0 else {
            throw ProbityError.invalidArgument("\(Self.name): subset must be auto or a positive integer, got \(options.string("subset"))")
        }
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let plane = input.height * input.width
        let size: Int
        if options.string("subset") == "auto" { size = input.width } else {
            guard let k = Int(options.string("subset")), k > 0, k <= plane else { throw ProbityError.invalidArgument("\(Self.name): subset must be auto or 1…\(plane), got \(options.string("subset"))") }
            size = k
        }
        let runs = options.int("runs"), kind = options.string("score")
        return try input.perSample(sign: options.string("sign")) { s, map in
            let x = input.x.item(s)
            let c = x.shape[1]
            let substrate = try Perturbation.substrate(options.string("substrate"), input, sample: s, id: id)
            var rng = RNG(seed: input.seed, stream: [.name(id), .name("subsets"), .number(input.samples[s])])
            var sums: [Double] = []
            let drops = try Perturbation.drops(of: x, count: runs, target: input.targets[s], kind: kind, model: model) { _, copy in
                let subset = Self.sample(size, of: plane, rng: &rng)
                sums.append(subset.reduce(0.0) { $0 + Double(map[$1]) })
                for p in subset { for ch in 0..<c { copy[ch * plane + p] = substrate.storage[ch * plane + p] } }
            }
            return Float(Correlation.pearson(sums, drops))
        }
    }

    /// k distinct indices of 0..<n (partial Fisher–Yates).
    static func sample(_ k: Int, of n: Int, rng: inout RNG) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, i + rng.int(below: n - i)) }
        return Array(pool.prefix(k))
    }
}
