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
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        try Baseline.checkFill(options.string("hide"), option: "hide", explainer: LIME.name)
        try Segmentation.check(options, explainer: LIME.name)
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (h, w) = (batch.height, batch.width)
        var maps = Tensor(shape: [batch.count, h, w])
        for s in 0..<batch.count {
            let (sp, coefficients) = try fit(batch, sample: s, model: model)
            var map = sp.paint(coefficients)
            if options.string("segmentation") == "grid" {
                map = LIME.bicubicGrid(coefficients, cells: options.int("cells"), height: h, width: w) ?? map
            }
            maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: map)
        }
        return Attribution(maps: maps)
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
        var rng = batch.rng(s, id)
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
