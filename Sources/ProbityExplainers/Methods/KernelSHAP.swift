import Foundation
import ProbityCore
import ProbityEngine

/// KernelSHAP (Lundberg & Lee 2017, "A unified approach to interpreting model predictions") over
/// superpixels, as shap's `KernelExplainer`: coalitions weighted by the Shapley kernel
/// (M − 1)/(C(M, s)·s·(M − s)); subset sizes from the smallest (with their complements, paired)
/// are enumerated completely while the budget allows, the rest sampled in complementary pairs;
/// a weighted least squares with the efficiency constraint Σφ = f(x) − f(background) solved
/// exactly by eliminating one variable. Budget 2M + 2048 (shap's default); background the
/// image's mean color (`mean`, the default), `blur`, any other baseline, or `superpixel_mean`. Explains the target's logit by
/// default (shap on a network's output); each superpixel painted with its Shapley value.
///
/// Feature selection (`l1_reg`): shap selects features before the regression — since shap
/// 0.47 its default `l1_reg="num_features(10)"` keeps the first 10 features to enter the LAR
/// path (`sklearn.linear_model.lars_path`, method `lar`) of its augmented, kernel-weighted
/// problem, and the earlier default `"auto"` ran an AIC `LassoLarsIC` whenever under 20 % of
/// the 2^M − 2 coalitions were evaluated (always, for images of many superpixels). Every other
/// feature gets φ = 0. Probity's default `none` keeps all features: the plain Shapley
/// regression, whose estimate the selection biases (unselected superpixels are forced to 0)
/// and which shap also computes with `l1_reg=False`. `num_features(K)` reproduces shap's
/// selection and solve (`KernelExplainer.solve`) exactly; shap's AIC/BIC selection is not
/// offered.
public struct KernelSHAP: Explainer {
    public static let name = "kernel_shap"
    public static let summary = "Shapley values of superpixels by weighted regression (Lundberg & Lee 2017; shap KernelExplainer)"
    public static let optionSpecs: [OptionSpec] = Segmentation.specs + [
        OptionSpec("samples", default: "auto", .text, "coalitions evaluated (auto: 2M + 2048)"),
        OptionSpec("background", default: "mean", .text, "fill of absent superpixels: a baseline (mean, blur, black, zero, noise, a .png) or superpixel_mean"),
        OptionSpec("output", default: "logit", .choice(["logit", "probability"]), "the model output explained"),
        OptionSpec("l1_reg", default: "none", .text, "feature selection: none (all features) or num_features(K), shap's first K features on the LAR path"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        try Baseline.checkFill(options.string("background"), option: "background", explainer: KernelSHAP.name)
        _ = try KernelSHAP.selectionCount(options.string("l1_reg"))
        if options.string("samples") != "auto" {
            guard let n = Int(options.string("samples")), n >= 2 else { throw ProbityError.invalidArgument("kernel_shap: samples must be auto or an integer ≥ 2") }
        }
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        var r = 1.0
        for i in 0..<k { r = r * Double(n - i) / Double(i + 1) }
        return r
    }

    /// Coalitions and their kernel weights (normalized to sum 1), shap's scheme.
    static func coalitions(features m: Int, budget: Int, rng: inout RNG) -> ([[UInt8]], [Double]) {
        var rows: [[UInt8]] = [], weights: [Double] = []
        guard m > 1 else { return ([[1]], [1]) }
        let sizes = Int(ceil(Double(m - 1) / 2))
        let kernel = (1..<m).map { s in Double(m - 1) / (Double(s) * Double(m - s)) }   // per size, before dividing by C(m, s)
        var mass = [Double](repeating: 0, count: sizes)
        for s in 1...sizes { mass[s - 1] = kernel[s - 1] * (s == m - s ? 1 : 2) }
        var remaining = mass.reduce(0, +)
        var left = budget
        var done = 0
        func add(_ subset: [Int], _ weight: Double) {
            var z = [UInt8](repeating: 0, count: m)
            for i in subset { z[i] = 1 }
            rows.append(z); weights.append(weight)
        }
        for s in 1...sizes {
            let paired = s != m - s
            let count = binomial(m, s) * (paired ? 2 : 1)
            // shap: enumerate a size when its share of the remaining budget covers every subset.
            guard Double(left) * mass[s - 1] / remaining / count >= 1 - 1e-8 else { break }
            let w = mass[s - 1] / count
            var subset = Array(0..<s)
            while true {
                add(subset, w)
                if paired { add((0..<m).filter { !subset.contains($0) }, w) }
                var i = s - 1
                while i >= 0 && subset[i] == m - s + i { i -= 1 }
                if i < 0 { break }
                subset[i] += 1
                for j in (i + 1)..<s { subset[j] = subset[j - 1] + 1 }
            }
            left -= Int(count)
            remaining -= mass[s - 1]
            done = s
        }
        if done < sizes && left >= 2 {
            // Sample the remaining sizes in proportion to their kernel mass, in complementary
            // pairs; together they carry the remaining mass (shap rescales them the same way).
            let rest = Array((done + 1)...sizes)
            let restMass = rest.map { mass[$0 - 1] }
            let restTotal = restMass.reduce(0, +)
            let pairs = left / 2
            let each = restTotal / Double(2 * pairs)
            for _ in 0..<pairs {
                var u = Double(rng.uniform()) * restTotal
                var s = rest.last!
                for (k, size) in rest.enumerated() { if u < restMass[k] { s = size; break }; u -= restMass[k] }
                var pool = Array(0..<m)
                pool.shuffle(using: &rng)
                let subset = Array(pool.prefix(s))
                add(subset, each)
                add((0..<m).filter { !subset.contains($0) }, each)
            }
        }
        let total = weights.reduce(0, +)
        return (rows, weights.map { $0 / total })
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (h, w) = (batch.height, batch.width)
        var maps = Tensor(shape: [batch.count, h, w])
        var gaps: [Float] = []
        for s in 0..<batch.count {
            var rng = batch.rng(s, options.removing("l1_reg").id)   // the coalitions do not depend on the selection
            let sp = try SuperpixelModel.make(batch, sample: s, model: model, options: options, fill: "background", rng: &rng)
            let m = sp.segments.count
            let ends = try sp.values([[UInt8](repeating: 1, count: m), [UInt8](repeating: 0, count: m)])
            let (fx, f0) = (ends[0], ends[1])
            let budget = options.string("samples") == "auto" ? 2 * m + 2048 : Int(options.string("samples"))!
            var phi = [Double](repeating: 0, count: m)
            if m == 1 {
                phi[0] = fx - f0
            } else {
                let (rows, weights) = KernelSHAP.coalitions(features: m, budget: budget, rng: &rng)
                let values = try sp.values(rows)
                phi = KernelSHAP.solve(rows: rows, weights: weights, values: values, fx: fx, f0: f0,
                                       select: try KernelSHAP.selectionCount(options.string("l1_reg")))
            }
            maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: sp.paint(phi))
            gaps.append(Float(phi.reduce(0, +) - (fx - f0)))
        }
        return Attribution(maps: maps, diagnostics: ["efficiency_gap": gaps])
    }

    /// nil for `none`, K for `num_features(K)`.
    static func selectionCount(_ value: String) throws -> Int? {
        if value == "none" { return nil }
        if value.hasPrefix("num_features("), value.hasSuffix(")"), let k = Int(value.dropFirst("num_features(".count).dropLast()), k > 0 { return k }
        throw ProbityError.invalidArgument("kernel_shap: l1_reg must be none or num_features(K) with K > 0, got \(value)")
    }

    /// shap's `KernelExplainer.solve`: optionally the first `select` features on the LAR path
    /// of the augmented problem, then the kernel-weighted least squares over the kept features
    /// with Σφ = fx − f0, solved by eliminating the last kept feature; the others get 0.
    static func solve(rows: [[UInt8]], weights: [Double], values: [Double], fx: Double, f0: Double, select: Int?) -> [Double] {
        let m = rows.first?.count ?? 0
        let delta = fx - f0
        var kept = Array(0..<m)
        if let k = select {
            // shap: rows z with weight w(M − s) and target y − f0, and z − 1 with weight w·s and
            // target y − fx; LAR works on the Gram matrix and correlations of the √w-scaled rows.
            var gram = [[Double]](repeating: [Double](repeating: 0, count: m), count: m), xy = [Double](repeating: 0, count: m)
            for (r, z) in rows.enumerated() {
                let size = Double(z.reduce(0) { $0 + Int($1) })
                let e = values[r] - f0
                for (wt, shift, target) in [(weights[r] * (Double(m) - size), 0.0, e), (weights[r] * size, 1.0, e - delta)] where wt != 0 {
                    let v = z.map { Double($0) - shift }
                    for i in 0..<m where v[i] != 0 {
                        xy[i] += wt * v[i] * target
                        for j in 0..<m where v[j] != 0 { gram[i][j] += wt * v[i] * v[j] }
                    }
                }
            }
            kept = lar(gram: gram, xy: xy, samples: 2 * rows.count, steps: k)
        }
        var phi = [Double](repeating: 0, count: m)
        guard let last = kept.last else { return phi }
        let others = Array(kept.dropLast())
        // Eliminate φ_last: y − f0 − z_last·Δ = Σ_j φ_j (z_j − z_last).
        let data = rows.map { z in others.map { Double(z[$0]) - Double(z[last]) } }
        let targets = zip(rows, values).map { z, v in v - f0 - Double(z[last]) * delta }
        let reduced = others.isEmpty ? [] : LinearFit.solve(normalMatrix(data, weights), normalVector(data, targets, weights))
        for (j, f) in others.enumerated() { phi[f] = reduced[j] }
        phi[last] = delta - reduced.reduce(0, +)
        return phi
    }

    /// The active set, in order of entry, after `steps` steps of least angle regression
    /// (Efron et al. 2004; scikit-learn's `lars_path(method="lar", max_iter=steps)`, no
    /// intercept, no scaling), from the Gram matrix XᵀX and Xᵀy. Stops early, as scikit-learn,
    /// when the largest correlation over `samples` falls to float32 ε.
    static func lar(gram: [[Double]], xy: [Double], samples: Int, steps: Int) -> [Int] {
        let m = xy.count
        var active: [Int] = [], signs: [Double] = []
        var cov = xy
        let tiny = Double(Float.leastNormalMagnitude)
        while true {
            let inactive = (0..<m).filter { !active.contains($0) }
            guard let best = inactive.max(by: { abs(cov[$0]) < abs(cov[$1]) }) else { break }
            let c = abs(cov[best])
            if c / Double(samples) <= Double(Float.ulpOfOne) { break }
            if active.count >= steps || active.count >= m { break }
            active.append(best); signs.append(cov[best] < 0 ? -1 : 1)
            let ga = active.map { i in active.map { j in gram[i][j] } }
            var ls = LinearFit.solve(ga, signs)
            let aa = 1 / zip(ls, signs).reduce(0) { $0 + $1.0 * $1.1 }.squareRoot()
            ls = ls.map { $0 * aa }
            var gamma = c / aa
            var eq = [Double](repeating: 0, count: m)
            for j in 0..<m { for (k, i) in active.enumerated() { eq[j] += gram[j][i] * ls[k] } }
            for j in (0..<m) where !active.contains(j) {
                let g1 = (c - cov[j]) / (aa - eq[j] + tiny), g2 = (c + cov[j]) / (aa + eq[j] + tiny)
                if g1 > 0 { gamma = min(gamma, g1) }
                if g2 > 0 { gamma = min(gamma, g2) }
            }
            for j in 0..<m { cov[j] -= gamma * eq[j] }
        }
        return active
    }

    static func normalMatrix(_ x: [[Double]], _ w: [Double]) -> [[Double]] {
        let m = x.first?.count ?? 0
        var a = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for (r, row) in x.enumerated() { for i in 0..<m where row[i] != 0 { for j in 0..<m { a[i][j] += w[r] * row[i] * row[j] } } }
        for i in 0..<m { a[i][i] += 1e-12 }
        return a
    }

    static func normalVector(_ x: [[Double]], _ y: [Double], _ w: [Double]) -> [Double] {
        let m = x.first?.count ?? 0
        var b = [Double](repeating: 0, count: m)
        for (r, row) in x.enumerated() { for i in 0..<m { b[i] += w[r] * row[i] * y[r] } }
        return b
    }
}
