import Foundation
import ProbityCore
import ProbityEngine

/// LIME (Ribeiro, Singh & Guestrin 2016, "Why should I trust you?") as lime_image's
/// `LimeImageExplainer`: superpixels (quickshift 4/200/0.2 by default at 224 px, kernel size and distance scaled
/// with the image size elsewhere: `Segmentation.quickshiftParameters`), `samples` random
/// coalitions (each superpixel kept with probability ½, the first row the whole image),
/// hidden superpixels filled with their own mean color (`hide = superpixel_mean`, lime_image's
/// default) or any baseline (`mean` is the image's mean color, as everywhere); samples weighted by the exponential kernel √exp(−d²/w²) of the cosine distance
/// to the whole image (w = 0.25); a weighted ridge (α = 1) on all features, or on the top K
/// chosen by the lasso path or by the largest ridge weights. The map paints each superpixel
/// with its coefficient (grid superpixels: the coefficient grid upsampled bicubically).
/// The explained output is the target's probability, as lime's `classifier_fn` returns.
///
/// Other surrogates (`surrogate`), for MATLAB's `imageLIME` (R2020b+): `tree`, its default, a
/// regression tree grown as `fitrtree` (`RegressionTree`, minimum parent size `min_parent`) whose
/// predictor importance is each superpixel's value (never negative: a tree says how much a
/// superpixel matters, not in which direction); `lasso`, a weighted lasso (`LinearFit.lasso`,
/// penalty `lambda`, by default 1/samples as `fitrlinear`). imageLIME's workflow is these
/// options: `segmentation=slic` (or `grid` with `cells=10`), `samples=6000`, `hide=mean` (the
/// image's mean color), `surrogate=tree`. Differences from imageLIME: its sample weighting is not
/// documented, so every surrogate uses lime's kernel above; its SLIC is MATLAB's `superpixels`
/// (Probity's `slic` follows the same algorithm and defaults, not checked against MATLAB).
public struct LIME: Explainer {
    public static let name = "lime"
    public var seeded: Bool { true }
    public static let summary = "Local linear surrogate over superpixels (Ribeiro et al. 2016; lime_image)"
    public static let optionSpecs: [OptionSpec] = Segmentation.specs + [
        OptionSpec("samples", default: "1000", .int(2...1_000_000), "perturbed images"),
        OptionSpec("hide", default: "superpixel_mean", .text, "fill of hidden superpixels: superpixel_mean or a baseline (black, zero, mean, blur, noise, a .png)"),
        OptionSpec("kernel_width", default: "0.25", .double(1e-6...1e6), "width of the exponential kernel on cosine distance"),
        OptionSpec("alpha", default: "1", .double(0...1e9), "ridge penalty"),
        OptionSpec("features", default: "0", .int(0...100_000), "keep the top K features (0: all)"),
        OptionSpec("selection", default: "lasso_path", .choice(["lasso_path", "highest_weights"]), "how the top K are chosen"),
        OptionSpec("output", default: "probability", .choice(["probability", "logit"]), "the model output explained"),
        OptionSpec("surrogate", default: "ridge", .choice(["ridge", "lasso", "tree"]), "the local model: ridge (lime), lasso, or a regression tree whose predictor importance is the map (MATLAB imageLIME's default)"),
        OptionSpec("lambda", default: "auto", .text, "lasso penalty (auto: 1/samples, as MATLAB's fitrlinear)"),
        OptionSpec("min_parent", default: "10", .int(2...1_000_000), "tree: fewest perturbed images a node needs to be split (fitrtree's MinParentSize)"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        try Baseline.checkFill(options.string("hide"), option: "hide", explainer: LIME.name)
        try Segmentation.check(options, explainer: LIME.name)
        if options.string("surrogate") != "ridge" && options.int("features") > 0 {
            throw ProbityError.invalidArgument("lime: features selects the ridge surrogate's inputs; surrogate=\(options.string("surrogate")) uses every superpixel (leave features at 0)")
        }
        if options.string("lambda") != "auto" {
            guard let l = Double(options.string("lambda")), l >= 0, l.isFinite else { throw ProbityError.invalidArgument("lime: lambda must be auto or a number ≥ 0, got \(options.string("lambda"))") }
        }
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (h, w) = (batch.height, batch.width)
        var maps = Tensor(shape: [batch.count, h, w])
        for s in 0..<batch.count {
            let (sp, coefficients) = try fit(batch, sample: s, model: model)
            let map = self.map(sp.segments, coefficients)
            maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: map)
        }
        return Attribution(maps: maps)
    }

    /// The map of per-superpixel `weights`: each superpixel painted with its weight, or, for grid
    /// superpixels, the weight grid upsampled bicubically (as imageLIME's `OutputUpsampling`).
    public func map(_ segments: Segments, _ weights: [Double]) -> [Float] {
        if options.string("segmentation") == "grid",
           let grid = LIME.bicubicGrid(weights, cells: options.int("cells"), height: segments.height, width: segments.width) { return grid }
        return segments.labels.map { Float(weights[$0]) }
    }

    /// The superpixels of sample `s` and the surrogate's weights of each for every class in
    /// `classes` (lime's `segments` and `local_exp[label]`): what the lime_image pictures draw
    /// (`LIMEFigure`). As lime, one set of perturbed images, scored once for all classes, and
    /// one regression per class.
    public func superpixelWeights(_ batch: ExplainBatch, sample s: Int, classes: [Int], model: Model) throws -> (segments: Segments, weights: [[Double]]) {
        let setup = try perturb(batch, sample: s, model: model)
        let ys = try setup.model.values(setup.coalitions, classes: classes)
        return (setup.model.segments, ys.map { regress(setup, $0) })
    }

    /// The surrogate's coefficient per superpixel for sample `s` (its target).
    func fit(_ batch: ExplainBatch, sample s: Int, model: Model) throws -> (SuperpixelModel, [Double]) {
        let setup = try perturb(batch, sample: s, model: model)
        return (setup.model, regress(setup, try setup.model.values(setup.coalitions)))
    }

    /// The perturbed images of sample `s`: its superpixels, the random coalitions (the first
    /// the whole image) and their kernel weights.
    struct Perturbation { var model: SuperpixelModel; var coalitions: [[UInt8]]; var data: [[Double]]; var weights: [Double] }

    func perturb(_ batch: ExplainBatch, sample s: Int, model: Model) throws -> Perturbation {
        var rng = batch.rng(s, options.removing("surrogate", "lambda", "min_parent").id)   // the perturbations do not depend on the surrogate
        let sp = try SuperpixelModel.make(batch, sample: s, model: model, options: options, fill: "hide", rng: &rng)
        let m = sp.segments.count, n = options.int("samples")
        var coalitions: [[UInt8]] = [[UInt8](repeating: 1, count: m)]
        for _ in 1..<n { coalitions.append((0..<m).map { _ in rng.uniform() < 0.5 ? 1 : 0 }) }
        let width = options.double("kernel_width")
        let weights = coalitions.map { z -> Double in
            let ones = Double(z.reduce(0) { $0 + Int($1) })
            let cosine = ones == 0 ? 1 : 1 - ones / (ones.squareRoot() * Double(m).squareRoot())
            return exp(-(cosine * cosine) / (width * width)).squareRoot()
        }
        return Perturbation(model: sp, coalitions: coalitions, data: coalitions.map { $0.map(Double.init) }, weights: weights)
    }

    /// The surrogate fitted to the perturbed images' scores `y`: coefficients per superpixel.
    func regress(_ p: Perturbation, _ y: [Double]) -> [Double] {
        let m = p.model.segments.count
        switch options.string("surrogate") {
        case "tree":
            return RegressionTree(x: p.data, y: y, weights: p.weights, minParent: options.int("min_parent")).importance
        case "lasso":
            let lambda = options.string("lambda") == "auto" ? 1 / Double(p.data.count) : options.double("lambda")
            return LinearFit.lasso(p.data, y, weights: p.weights, lambda: lambda).0
        default: break
        }
        var features = Array(0..<m)
        let k = options.int("features")
        if k > 0 && k < m {
            if options.string("selection") == "lasso_path" {
                features = LinearFit.lassoPath(p.data, y, weights: p.weights, k: k)
            } else {
                let (all, _) = LinearFit.ridge(p.data, y, weights: p.weights, alpha: 0.01, features: Array(0..<m))
                features = Array((0..<m).sorted { abs(all[$0]) > abs(all[$1]) }.prefix(k))
            }
        }
        let (beta, _) = LinearFit.ridge(p.data, y, weights: p.weights, alpha: options.double("alpha"), features: features)
        var coefficients = [Double](repeating: 0, count: m)
        for (j, f) in features.enumerated() { coefficients[f] = beta[j] }
        return coefficients
    }

    /// Grid coefficients [rows, columns] upsampled bicubically to the image (nil when the grid
    /// does not tile the image in equal cells).
    static func bicubicGrid(_ c: [Double], cells: Int, height h: Int, width w: Int) -> [Float]? {
        let side = max(1, (max(h, w) + cells - 1) / cells)
        let rows = (h + side - 1) / side, columns = (w + side - 1) / side
        guard rows * side == h, columns * side == w, c.count == rows * columns else { return nil }
        return Tensor(shape: [1, rows, columns], storage: c.map(Float.init)).resized(height: h, width: w, method: .bicubic).storage
    }
}
