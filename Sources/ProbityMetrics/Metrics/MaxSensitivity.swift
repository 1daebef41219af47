import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Max-sensitivity (Yeh et al. 2019, "On the (in)fidelity and sensitivity of explanations"):
/// the explainer is re-run on `samples` inputs (default 10) perturbed by uniform noise in an
/// L∞ ball of radius r (a fraction of the pixel range, default 0.02 ≈ 5 gray levels,
/// converted per channel to model input units); the score is the largest relative change,
/// max ‖φ(x + δ) − φ(x)‖ / ‖φ(x)‖ (Frobenius norms, as Quantus). The method's random stream is
/// the same for every copy, so only the input changes. Lower is better.
public struct MaxSensitivity: Metric {
    public static let name = "max_sensitivity"
    public static let summary = "Largest relative change of the map under small uniform input noise (Yeh et al. 2019); lower is better"
    public static let higherIsBetter = false
    public static let needs: MetricNeeds = .explainer
    public static let optionSpecs = [
        OptionSpec("samples", default: "10", .int(1...10_000), "perturbed inputs per sample"),
        OptionSpec("radius", default: "0.02", .double(0...1), "L∞ radius of the noise, as a fraction of the pixel range"),
        MetricRegistry.sign,
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let explainer = try input.requireExplainer(Self.name)
        let n = options.int("samples"), radius = options.float("radius")
        let plane = input.height * input.width
        var scores: [Float] = [], status: [String] = []
        for s in 0..<input.count {
            let x = input.x.item(s)
            let c = x.shape[1]
            var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
            var batch = MapOps.repeated(x, n + 1)
            for j in 1...n {
                for ch in 0..<c {
                    let r = radius * input.preprocessing.scale[ch % input.preprocessing.channels]
                    for p in 0..<plane { batch.storage[(j * c + ch) * plane + p] += rng.uniform(-r, r) }
                }
            }
            let raw = try input.explain(explainer, x: batch, targets: .init(repeating: input.targets[s], count: n + 1),
                                         samples: .init(repeating: input.samples[s], count: n + 1), model: model)
            let maps = Tensor(shape: raw.shape, storage: MetricInput.apply(sign: options.string("sign"), raw.storage[...]))
            let original = Array(maps.storage[0..<plane])
            let norm = original.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            var worst = 0.0
            for j in 1...n {
                var d = 0.0
                for p in 0..<plane { let e = Double(maps.storage[j * plane + p] - original[p]); d += e * e }
                worst = max(worst, d.squareRoot() / norm)
            }
            let score = Float(norm > 0 ? worst : .nan)
            scores.append(score)
            status.append(MetricOutput.status(score: score, map: original))
        }
        return MetricOutput(scores: scores, status: status)
    }
}
