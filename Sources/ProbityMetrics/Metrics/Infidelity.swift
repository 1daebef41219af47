import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Infidelity (Yeh et al. 2019, "On the (in)fidelity and sensitivity of explanations"):
/// INFD = E_I[(Iᵀφ − (f(x) − f(x − I)))²] with Gaussian perturbations I (σ as a fraction of the
/// pixel range, converted per channel to model input units; default 0.1), n of them (default
/// 32); the map φ [H, W] acts on every channel, so Iᵀφ = Σ_p φ_p Σ_c I_{c,p}. With
/// `normalize` (default, as Captum's `infidelity(normalize=True)`), φ is first scaled by the
/// least-squares β = E[Iᵀφ·Δf] / E[(Iᵀφ)²], so the score does not depend on the map's scale.
/// f is the target's logit by default. Lower is better.
public struct Infidelity: Metric {
    public static let name = "infidelity"
    public static let summary = "Mean squared error between attribution-predicted and actual score changes under Gaussian noise (Yeh et al. 2019); lower is better"
    public static let higherIsBetter = false
    public static let optionSpecs = [
        OptionSpec("perturbations", default: "32", .int(2...100_000), "Gaussian perturbations per sample"),
        OptionSpec("sigma", default: "0.1", .double(0...10), "σ of the noise, as a fraction of the pixel range"),
        OptionSpec("normalize", default: "true", .bool, "scale the map by the least-squares β first (Captum normalize=True)"),
        Perturbation.scoreSpec("logit"),
        MetricRegistry.sign,
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let plane = input.height * input.width
        let n = options.int("perturbations"), kind = options.string("score"), sigma = options.float("sigma")
        return try input.perSample(sign: options.string("sign")) { s, map in
            let x = input.x.item(s)
            let c = x.shape[1]
            var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
            var predicted: [Double] = []
            let actual = try Perturbation.drops(of: x, count: n, target: input.targets[s], kind: kind, model: model) { _, copy in
                // x − I with I ~ N(0, σ²) per element; Iᵀφ sums I over channels against the map.
                var dot = 0.0
                for ch in 0..<c {
                    let std = sigma * input.preprocessing.scale[ch % input.preprocessing.channels]
                    for p in 0..<plane {
                        let i = std * rng.normal()
                        dot += Double(i) * Double(map[p])
                        copy[ch * plane + p] -= i
                    }
                }
                predicted.append(dot)
            }
            var beta = 1.0
            if options.bool("normalize") {
                let pp = predicted.reduce(0) { $0 + $1 * $1 }
                beta = pp > 0 ? zip(predicted, actual).reduce(0) { $0 + $1.0 * $1.1 } / pp : 0
            }
            return Float(zip(predicted, actual).reduce(0) { $0 + (beta * $1.0 - $1.1) * (beta * $1.0 - $1.1) } / Double(n))
        }
    }
}
