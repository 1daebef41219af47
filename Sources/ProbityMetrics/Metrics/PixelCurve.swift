import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The deletion and insertion curves of Petsiuk, Das & Saenko 2018 ("RISE"): pixels ranked by
/// attribution (descending; ties broken by pixel index, so the order is stable), then a step
/// of k pixels at a time is moved from one image to the other — deletion moves pixels of the
/// image to the substrate, insertion the substrate's to the image. The curve holds the
/// target's score at steps + 1 frames, the first with nothing moved; AUC is the trapezoid rule
/// on [0, 1]: (Σ scores − first/2 − last/2) / steps.
enum PixelCurve {
    static func specs(substrate: String) -> [OptionSpec] {
        [
            OptionSpec("step", default: "auto", .text, "pixels moved per step (auto: the image width, 224 at 224×224)"),
            OptionSpec("substrate", default: substrate, .baseline, "what removed pixels become / what inserted pixels replace"),
            Perturbation.scoreSpec("probability"),
            MetricRegistry.sign,
        ]
    }

    static func step(_ options: Options, width: Int) throws -> Int {
        if options.string("step") == "auto" { return width }
        guard let k = Int(options.string("step")), k > 0 else { throw ProbityError.invalidArgument("\(options.explainer): step must be auto or a positive integer, got \(options.string("step"))") }
        return k
    }

    /// Pixel indices by descending attribution, ties by index.
    static func order(_ map: [Float]) -> [Int] { Perturbation.descending(map) }

    static func evaluate(_ input: MetricInput, model: Model, options: Options, insertion: Bool, id: String) throws -> MetricOutput {
        let plane = input.height * input.width
        let k = try step(options, width: input.width)
        return try input.perSampleCurves(sign: options.string("sign")) { s, map in
            let x = input.x.item(s)
            let substrate = try Perturbation.substrate(options.string("substrate"), input, sample: s, id: id)
            let ranked = order(map)
            let groups = stride(from: 0, to: plane, by: k).map { Array(ranked[$0..<min(plane, $0 + k)]) }
            // Frame 0: nothing moved. Deletion starts from the image, insertion from the substrate.
            let curve = try Perturbation.curve(start: insertion ? substrate : x, source: insertion ? x : substrate, groups: groups,
                                               model: model, target: input.targets[s], score: options.string("score"))
            return ((curve.reduce(0, +) - curve.first! / 2 - curve.last! / 2) / Float(groups.count), curve)
        }
    }
}
