import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The deletion and insertion curves of Petsiuk, Das & Saenko 2018 ("RISE"): pixels ranked by
/// attribution (descending; ties broken by pixel index, so the order is stable), then a step
/// of k pixels at a time is moved from one image to the other — deletion moves pixels of the
/// image to the substrate, insertion the substrate's to the image. The curve holds the
/// target's score at steps + 1 frames, the first with nothing moved; AUC is the trapezoid rule
/// on [0, 1]: (Σ scores − first/2 − last/2) / steps. Frames run through the model 32 at a
/// time and are never all in memory.
enum PixelCurve {
    static func specs(substrate: String) -> [OptionSpec] {
        [
            OptionSpec("step", default: "auto", .text, "pixels moved per step (auto: the image width, 224 at 224×224)"),
            OptionSpec("substrate", default: substrate, .baseline, "what removed pixels become / what inserted pixels replace"),
            OptionSpec("score", default: "probability", .choice(["probability", "logit"]), "softmax probability of the target, or its logit"),
            MetricRegistry.sign,
        ]
    }

    static func step(_ options: Options, width: Int) throws -> Int {
        if options.string("step") == "auto" { return width }
        guard let k = Int(options.string("step")), k > 0 else { throw ProbityError.invalidArgument("step must be auto or a positive integer, got \(options.string("step"))") }
        return k
    }

    /// Pixel indices by descending attribution, ties by index.
    static func order(_ map: [Float]) -> [Int] {
        map.indices.sorted { map[$0] != map[$1] ? map[$0] > map[$1] : $0 < $1 }
    }

    static func evaluate(_ input: MetricInput, model: Model, options: Options, insertion: Bool, id: String) throws -> MetricOutput {
        let (c, h, w) = (input.x.shape[1], input.x.shape[2], input.x.shape[3])
        let plane = h * w
        let k = try step(options, width: w)
        let steps = (plane + k - 1) / k
        var scores: [Float] = [], curves: [[Float]] = [], status: [String] = []
        for s in 0..<input.count {
            let x = input.x.item(s)
            var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
            let substrate = try Baseline.make(options.string("substrate"), for: x, preprocessing: input.preprocessing, rng: &rng)
            let map = input.map(s, sign: options.string("sign"))
            let ranked = order(map)
            // Frame 0: nothing moved. Deletion starts from the image, insertion from the substrate.
            var current = insertion ? substrate : x
            let source = insertion ? x : substrate
            var curve: [Float] = []
            var frame = 0
            while frame <= steps {
                let count = min(32, steps + 1 - frame)
                var batch = Tensor(shape: [count, c, h, w])
                for j in 0..<count {
                    let f = frame + j
                    if f > 0 {
                        for p in ranked[((f - 1) * k)..<min(plane, f * k)] {
                            for ch in 0..<c { current.storage[ch * plane + p] = source.storage[ch * plane + p] }
                        }
                    }
                    batch.storage.replaceSubrange((j * x.count)..<((j + 1) * x.count), with: current.storage)
                }
                let logits = try model.logits(batch)
                for j in 0..<count {
                    curve.append(options.string("score") == "logit" ? logits[j, input.targets[s]] : MapOps.probability(logits, row: j, class: input.targets[s]))
                }
                frame += count
            }
            let auc = (curve.reduce(0, +) - curve.first! / 2 - curve.last! / 2) / Float(steps)
            scores.append(auc)
            curves.append(curve)
            status.append(Deletion.status(score: auc, map: map))
        }
        return MetricOutput(scores: scores, curves: curves, status: status)
    }
}
