import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// ROAD, RemOve And Debias (Rong et al. 2022): instead of a fixed substrate, the removed
/// pixels are filled by noisy linear imputation (`NoisyLinearImputation`), so the shape of
/// the removed region leaks less class information. Pixels are ranked by attribution (ties by
/// index); for each removal fraction (default 10 %, 20 %, …, 90 %, as the paper) the most
/// (MoRF) or least (LeRF) relevant pixels are imputed and the target's score taken. The curve
/// starts with the clean image; the score is the mean over the fractions.
enum ROAD {
    static let specs: [OptionSpec] = [
        OptionSpec("percent", default: "10,20,30,40,50,60,70,80,90", .text, "percentages of pixels removed, comma-separated"),
        OptionSpec("noise", default: "0.01", .double(0...10), "σ of the Gaussian noise added to imputed values (model input units)"),
        Perturbation.scoreSpec("probability"),
        MetricRegistry.sign,
    ]

    static func percentages(_ options: Options) throws -> [Double] {
        let parts = options.string("percent").split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 100 }) else {
            throw ProbityError.invalidArgument("\(options.explainer): percent must be comma-separated numbers in (0, 100], got \(options.string("percent"))")
        }
        return parts.map { $0! }
    }

    static func evaluate(_ input: MetricInput, model: Model, options: Options, mostRelevantFirst: Bool, id: String) throws -> MetricOutput {
        let fractions = try percentages(options)
        let plane = input.height * input.width
        return try input.perSampleCurves(sign: options.string("sign")) { s, map in
            let x = input.x.item(s)
            let order = mostRelevantFirst ? Perturbation.descending(map) : Perturbation.ascending(map)
            var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
            var curve: [Float] = []
            // Frame 0 is the clean image; frame f imputes the pixels of fraction f − 1, in order.
            try model.evaluate(count: fractions.count + 1, start: x) { f, frame in
                guard f > 0 else { return }
                var removed = [Bool](repeating: false, count: plane)
                for p in order.prefix(Int((fractions[f - 1] / 100 * Double(plane)).rounded())) { removed[p] = true }
                let imputed = NoisyLinearImputation.impute(x, removed: removed, noise: options.float("noise"), rng: &rng)
                imputed.storage.withUnsafeBufferPointer { _ = frame.update(fromContentsOf: $0) }
            } consume: { _, logits in
                for j in 0..<logits.shape[0] { curve.append(Perturbation.score(logits, row: j, target: input.targets[s], kind: options.string("score"))) }
            }
            return (curve.dropFirst().reduce(0, +) / Float(fractions.count), curve)
        }
    }
}
