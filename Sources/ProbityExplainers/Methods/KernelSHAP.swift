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
/// and which shap also computes with `l1_reg=False`. `num_features(K)`, `aic`, `bic` and
/// `auto` reproduce shap's selections and solve (`KernelExplainer.solve`): `aic`/`bic` are
/// scikit-learn's `LassoLarsIC` after `StandardScaler(with_mean=False)` (the lasso-LARS path,
/// intercept, noise variance from the least-squares fit, the path point of least criterion),
/// `auto` is `aic` when the coalitions evaluated are under 20 % of the 2^M − 2 possible, else
/// `none`.
public struct KernelSHAP: Explainer {
    public static let name = "kernel_shap"
    public var seeded: Bool { true }
    public static let summary = "Shapley values of superpixels by weighted regression (Lundberg & Lee 2017; shap KernelExplainer)"
    public static let optionSpecs: [OptionSpec] = Segmentation.specs + [
        OptionSpec("samples", default: "auto", .text, "coalitions evaluated (auto: 2M + 2048)"),
        OptionSpec("background", default: "mean", .text, "fill of absent superpixels: a baseline (mean, blur, black, zero, noise, a .png) or superpixel_mean"),
        OptionSpec("output", default: "logit", .choice(["logit", "probability"]), "the model output explained"),
        OptionSpec("l1_reg", default: "none", .text, "feature selection as shap: none (all features), num_features(K) (first K on the LAR path), aic, bic (LassoLarsIC), auto (aic under 20 % coverage)"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        try Baseline.checkFill(options.string("background"), option: "background", explainer: KernelSHAP.name)
        try Segmentation.check(options, explainer: KernelSHAP.name)
        _ = try KernelSHAP.selection(options.string("l1_reg"), features: 2, evaluated: 1)
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
                                       select: try KernelSHAP.selection(options.string("l1_reg"), features: m, evaluated: rows.count))
            }
            maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: sp.paint(phi))
            gaps.append(Float(phi.reduce(0, +) - (fx - f0)))
        }
        return Attribution(maps: maps, diagnostics: ["efficiency_gap": gaps])
    }

    /// shap's feature selections (`l1_reg`).
    enum Selection: Equatable { case none, features(Int), aic, bic }

    /// The selection `value` names; `auto` resolves as shap: `aic` when `evaluated` coalitions
    /// are under 20 % of the 2^M − 2 possible (2^30 for M > 30), else `none`.
    static func selection(_ value: String, features m: Int, evaluated: Int) throws -> Selection {
        switch value {
        case "none": return .none
        case "aic": return .aic
        case "bic": return .bic
        case "auto":
            let possible = m <= 30 ? pow(2, Double(m)) - 2 : pow(2, 30)
            return Double(min(Double(evaluated), possible)) / possible < 0.2 ? .aic : .none
        default:
            if value.hasPrefix("num_features("), value.hasSuffix(")"), let k = Int(value.dropFirst("num_features(".count).dropLast()), k > 0 { return .features(k) }
            throw ProbityError.invalidArgument("kernel_shap: l1_reg must be none, num_features(K) with K > 0, aic, bic or auto, got \(value)")
        }
    }

    /// shap's `KernelExplainer.solve`: optionally the first `select` features on the LAR path
    /// of the augmented problem, then the kernel-weighted least squares over the kept features
    /// with Σφ = fx − f0, solved by eliminating the last kept feature; the others get 0.
    static func solve(rows: [[UInt8]], weights: [Double], values: [Double], fx: Double, f0: Double, select: Selection) -> [Double] {
        let m = rows.first?.count ?? 0
        let delta = fx - f0
        var kept = Array(0..<m)
        if select != .none {
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
            switch select {
            case .features(let k): kept = lar(gram: gram, xy: xy, samples: 2 * rows.count, steps: k)
            case .aic, .bic: kept = lassoLarsIC(rows: rows, weights: weights, values: values, fx: fx, f0: f0, bic: select == .bic)
            case .none: break
            }
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

    /// Features with non-zero coefficients in scikit-learn's `make_pipeline(StandardScaler(
    /// with_mean=False), LassoLarsIC(criterion))` fitted to shap's augmented problem, sorted.
    static func lassoLarsIC(rows: [[UInt8]], weights: [Double], values: [Double], fx: Double, f0: Double, bic: Bool) -> [Int] {
        let m = rows.first?.count ?? 0
        var x: [[Double]] = [], y: [Double] = []
        for (r, z) in rows.enumerated() {
            let size = Double(z.reduce(0) { $0 + Int($1) })
            let e = values[r] - f0
            let a = (weights[r] * (Double(m) - size)).squareRoot(), b = (weights[r] * size).squareRoot()
            x.append(z.map { a * Double($0) }); y.append(a * e)
            x.append(z.map { b * (Double($0) - 1) }); y.append(b * (e - (fx - f0)))
        }
        let n = Double(x.count)
        // StandardScaler(with_mean=False): divide by the population standard deviation (1 when
        // it is 0); then LassoLarsIC centres X and y (fit_intercept).
        for j in 0..<m {
            let mean = x.reduce(0) { $0 + $1[j] } / n
            let variance = x.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / n
            let scale = variance.squareRoot() < 10 * Double.ulpOfOne ? 1 : variance.squareRoot()
            for i in x.indices { x[i][j] = x[i][j] / scale - mean / scale }
        }
        let ymean = y.reduce(0, +) / n
        y = y.map { $0 - ymean }
        var gram = [[Double]](repeating: [Double](repeating: 0, count: m), count: m), xy = [Double](repeating: 0, count: m)
        for (i, row) in x.enumerated() {
            for a in 0..<m { xy[a] += row[a] * y[i]; for b in 0..<m { gram[a][b] += row[a] * row[b] } }
        }
        let yy = y.reduce(0) { $0 + $1 * $1 }
        let path = lassoLarsPath(gram: gram, xy: xy, samples: x.count)
        // Noise variance from the least-squares fit (n > M + 1 here: every coalition gives two rows).
        let ols = LinearFit.solve(gram, xy)
        let rssOLS = yy - zip(ols, xy).reduce(0) { $0 + $1.0 * $1.1 }
        let sigma2 = rssOLS / (n - Double(m) - 1)
        var best = 0, bestCriterion = Double.infinity
        for (k, coef) in path.enumerated() {
            var gc = 0.0
            for a in 0..<m where coef[a] != 0 { for b in 0..<m where coef[b] != 0 { gc += coef[a] * gram[a][b] * coef[b] } }
            let rss = yy - 2 * zip(coef, xy).reduce(0) { $0 + $1.0 * $1.1 } + gc
            let df = Double(coef.filter { abs($0) > Double.ulpOfOne }.count)
            let criterion = n * log(2 * Double.pi * sigma2) + rss / sigma2 + (bic ? log(n) : 2) * df
            if criterion < bestCriterion { best = k; bestCriterion = criterion }
        }
        return (0..<m).filter { path[best][$0] != 0 }
    }

    /// The lasso-modified LARS path (Efron et al. 2004) as scikit-learn's `lars_path(method=
    /// "lasso", alpha_min=0, max_iter=500)` computes it from the Gram matrix: the coefficient
    /// vector at every knot, starting from zero; a variable whose coefficient crosses zero leaves
    /// the active set.
    static func lassoLarsPath(gram: [[Double]], xy: [Double], samples: Int) -> [[Double]] {
        let m = xy.count
        let tiny = Double(Float.leastNormalMagnitude), eps32 = Double(Float.ulpOfOne)
        var active: [Int] = [], signs: [Double] = [], excluded = Set<Int>()
        var cov = xy
        var path = [[Double](repeating: 0, count: m)], alphas: [Double] = []
        var drop = false
        func minPositive(_ v: [Double]) -> Double { v.filter { $0 > 0 }.min() ?? .greatestFiniteMagnitude }
        while true {
            let n = path.count - 1
            let inactive = (0..<m).filter { !active.contains($0) && !excluded.contains($0) }
            let best = inactive.max { abs(cov[$0]) < abs(cov[$1]) }
            let c = best.map { abs(cov[$0]) } ?? 0
            if alphas.count == n { alphas.append(c / Double(samples)) } else { alphas[n] = c / Double(samples) }
            if alphas[n] <= eps32 { break }
            if n >= 500 || active.count >= m { break }
            if !drop, let j = best {
                // Degenerate (collinear) regressors are skipped, as scikit-learn's Cholesky check.
                if !active.isEmpty {
                    let g = active.map { gram[j][$0] }
                    let solved = LinearFit.solve(active.map { i in active.map { gram[i][$0] } }, g)
                    let schur = gram[j][j] - zip(g, solved).reduce(0) { $0 + $1.0 * $1.1 }
                    if max(abs(schur).squareRoot(), Double.ulpOfOne) < 1e-7 { excluded.insert(j); cov[j] = 0; continue }
                }
                active.append(j); signs.append(cov[j] < 0 ? -1 : 1)
            }
            if n > 0 && alphas[n - 1] < alphas[n] { break }
            var ls = LinearFit.solve(active.map { i in active.map { gram[i][$0] } }, signs)
            let aa = 1 / zip(ls, signs).reduce(0) { $0 + $1.0 * $1.1 }.squareRoot()
            ls = ls.map { $0 * aa }
            let rest = (0..<m).filter { !active.contains($0) && !excluded.contains($0) }
            var eq = [Double](repeating: 0, count: m)
            for j in rest {
                for (k, i) in active.enumerated() { eq[j] += gram[j][i] * ls[k] }
                eq[j] = (eq[j] * 1e15).rounded(.toNearestOrEven) / 1e15   // np.around(decimals=15)
            }
            var gamma = min(minPositive(rest.map { (c - cov[$0]) / (aa - eq[$0] + tiny) }),
                            minPositive(rest.map { (c + cov[$0]) / (aa + eq[$0] + tiny) }), c / aa)
            let coef = path[n]
            let z = active.indices.map { -coef[active[$0]] / (ls[$0] + tiny) }
            let zPos = minPositive(z)
            drop = false
            var leaving: [Int] = []
            if zPos < gamma { leaving = z.indices.filter { z[$0] == zPos }.reversed(); gamma = zPos; drop = true }
            var next = [Double](repeating: 0, count: m)
            for (k, i) in active.enumerated() { next[i] = coef[i] + gamma * ls[k] }
            path.append(next)
            for j in rest { cov[j] -= gamma * eq[j] }
            for k in leaving {
                let d = active.remove(at: k); signs.remove(at: k)
                cov[d] = xy[d] - (0..<m).reduce(0) { $0 + gram[d][$1] * next[$1] }
            }
        }
        return path
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
