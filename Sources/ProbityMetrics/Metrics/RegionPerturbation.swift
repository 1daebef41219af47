import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Region perturbation of Samek et al. 2017 ("Evaluating the visualization of what a deep
/// neural network has learned"): the image is tiled into p × p patches (default 9 at 224 px,
/// scaled with the width; edge patches may be smaller), patches are ranked by their summed
/// attribution (MoRF: most relevant first; LeRF: least relevant first; ties by patch index)
/// and replaced one per step by the substrate (default `noise`, uniform pixels, as the
/// paper). AOPC = 1/(L + 1) Σ_{k=0…L} (f(x⁰) − f(xᵏ)) over L steps (default 100, at most the
/// number of patches); f is the target's logit by default (the paper's class score).
enum RegionPerturbation {
    static let specs: [OptionSpec] = [
        OptionSpec("patch", default: "auto", .text, "patch side in pixels (auto: 9 at 224 px, scaled with the width)"),
        OptionSpec("steps", default: "100", .int(1...1_000_000), "patches replaced (L; at most the number of patches)"),
        OptionSpec("substrate", default: "noise", .baseline, "what replaced patches become"),
        Perturbation.scoreSpec("logit"),
        MetricRegistry.sign,
    ]

    static func patch(_ options: Options, width: Int) throws -> Int {
        if options.string("patch") == "auto" { return max(1, Int((9 * Double(width) / 224).rounded())) }
        guard let p = Int(options.string("patch")), p > 0 else { throw ProbityError.invalidArgument("\(options.explainer): patch must be auto or a positive integer, got \(options.string("patch"))") }
        return p
    }

    /// Pixel groups of the patches, row-major patch order.
    static func patches(height h: Int, width w: Int, side p: Int) -> [[Int]] {
        var out: [[Int]] = []
        for y0 in stride(from: 0, to: h, by: p) {
            for x0 in stride(from: 0, to: w, by: p) {
                var g: [Int] = []
                for y in y0..<min(h, y0 + p) { for x in x0..<min(w, x0 + p) { g.append(y * w + x) } }
                out.append(g)
            }
        }
        return out
    }

    static func evaluate(_ input: MetricInput, model: Model, options: Options, mostRelevantFirst: Bool, id: String) throws -> MetricOutput {
        let regions = patches(height: input.height, width: input.width, side: try patch(options, width: input.width))
        let steps = min(options.int("steps"), regions.count)
        return try input.perSampleCurves(sign: options.string("sign")) { s, map in
            let sums = regions.map { $0.reduce(Float(0)) { $0 + map[$1] } }
            let order = mostRelevantFirst ? Perturbation.descending(sums) : Perturbation.ascending(sums)
            let substrate = try Perturbation.substrate(options.string("substrate"), input, sample: s, id: id)
            let curve = try Perturbation.curve(start: input.x.item(s), source: substrate, groups: order.prefix(steps).map { regions[$0] },
                                               model: model, target: input.targets[s], score: options.string("score"))
            return (curve.reduce(0) { $0 + (curve[0] - $1) } / Float(curve.count), curve)
        }
    }
}
