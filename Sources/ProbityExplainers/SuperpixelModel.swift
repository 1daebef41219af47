import Foundation
import ProbityCore
import ProbityEngine

/// The model seen through superpixels, for LIME and KernelSHAP: a coalition z ∈ {0, 1}^M
/// keeps superpixel k where z_k = 1 and replaces it by the `hidden` image elsewhere; its
/// value is the target's probability or logit. Coalitions run through the model in batches.
struct SuperpixelModel {
    let model: Model
    let x: Tensor          // [1, C, H, W]
    let hidden: Tensor     // [1, C, H, W]
    let segments: Segments
    let target: Int
    let probability: Bool

    /// The superpixel view of sample `s` that `options` describe: its segmentation, hidden
    /// superpixels filled as the option `fill` says (`superpixel_mean` or a baseline, drawn from
    /// `rng` when random), and the `output` option's score.
    static func make(_ batch: ExplainBatch, sample s: Int, model: Model, options: Options, fill: String, rng: inout RNG) throws -> SuperpixelModel {
        let x = batch.item(s)
        let segments = Segmentation.segments(batch, sample: s, options: options)
        let name = options.string(fill)
        let hidden = name == "superpixel_mean" ? segmentMeans(x, segments) : try Baseline.make(name, for: x, preprocessing: batch.preprocessing, rng: &rng)
        return SuperpixelModel(model: model, x: x, hidden: hidden, segments: segments, target: batch.targets[s], probability: options.string("output") == "probability")
    }

    /// The image lime_image hides superpixels with by default: each superpixel's mean color.
    static func segmentMeans(_ x: Tensor, _ segments: Segments) -> Tensor {
        let (c, plane) = (x.shape[1], x.shape[2] * x.shape[3])
        var sums = [Double](repeating: 0, count: segments.count * c), counts = [Double](repeating: 0, count: segments.count)
        for i in 0..<plane {
            let l = segments.labels[i]
            counts[l] += 1
            for ch in 0..<c { sums[l * c + ch] += Double(x.storage[ch * plane + i]) }
        }
        var out = Tensor(shape: x.shape)
        for i in 0..<plane { let l = segments.labels[i]; for ch in 0..<c { out.storage[ch * plane + i] = Float(sums[l * c + ch] / counts[l]) } }
        return out
    }

    /// Values of the coalitions (rows of 0/1) for the sample's target.
    func values(_ coalitions: [[UInt8]]) throws -> [Double] { try values(coalitions, classes: [target])[0] }

    /// Values of the coalitions for each of `classes` ([class][coalition]), from one batched
    /// evaluation (`Model.evaluate`), as lime scores every label on the same perturbed images.
    func values(_ coalitions: [[UInt8]], classes: [Int]) throws -> [[Double]] {
        let (c, plane) = (x.shape[1], x.shape[2] * x.shape[3])
        var result = [[Double]](repeating: [], count: classes.count)
        try model.evaluate(count: coalitions.count) { j, image in
            let z = coalitions[j]
            for ch in 0..<c { for i in 0..<plane {
                let k = ch * plane + i
                image[k] = z[segments.labels[i]] != 0 ? x.storage[k] : hidden.storage[k]
            } }
        } consume: { _, logits in
            for (n, cls) in classes.enumerated() {
                for j in 0..<logits.shape[0] {
                    result[n].append(probability ? Double(MapOps.probability(logits, row: j, class: cls)) : Double(logits[j, cls]))
                }
            }
        }
        return result
    }

    /// Per-superpixel weights painted over the image: [H·W].
    func paint(_ weights: [Double]) -> [Float] { segments.labels.map { Float(weights[$0]) } }
}

/// Weighted linear least squares for the surrogate models.
enum LinearFit {
    /// Ridge with an unpenalized intercept and sample weights, as scikit-learn's
    /// `Ridge(alpha, fit_intercept=True).fit(X, y, sample_weight)`: data centered by the
    /// weighted means, then (XᵀWX + αI)β = XᵀWy. Returns (coefficients, intercept).
    static func ridge(_ x: [[Double]], _ y: [Double], weights: [Double], alpha: Double, features: [Int]) -> ([Double], Double) {
        let m = features.count
        let total = weights.reduce(0, +)
        var xm = [Double](repeating: 0, count: m)
        var ym = 0.0
        for (r, row) in x.enumerated() {
            for (j, f) in features.enumerated() { xm[j] += weights[r] * row[f] }
            ym += weights[r] * y[r]
        }
        for j in 0..<m { xm[j] /= total }
        ym /= total
        var a = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        var b = [Double](repeating: 0, count: m)
        for (r, row) in x.enumerated() {
            let centered = features.enumerated().map { row[$0.element] - xm[$0.offset] }
            let yc = y[r] - ym
            for i in 0..<m {
                b[i] += weights[r] * centered[i] * yc
                for j in 0..<m { a[i][j] += weights[r] * centered[i] * centered[j] }
            }
        }
        for i in 0..<m { a[i][i] += alpha }
        let beta = solve(a, b)
        let intercept = ym - zip(beta, xm).reduce(0) { $0 + $1.0 * $1.1 }
        return (beta, intercept)
    }

    /// Gaussian elimination with partial pivoting (small symmetric systems).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var a = a, b = b
        let n = b.count
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            let p = a[col][col]
            if abs(p) < 1e-300 { continue }
            for r in (col + 1)..<max(col + 1, n) {
                let f = a[r][col] / p
                if f == 0 { continue }
                for k in col..<n { a[r][k] -= f * a[col][k] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = b[i]
            for k in (i + 1)..<max(i + 1, n) { s -= a[i][k] * x[k] }
            x[i] = abs(a[i][i]) < 1e-300 ? 0 : s / a[i][i]
        }
        return x
    }

    /// Features kept by the weighted lasso path (coordinate descent, warm-started down a
    /// geometric grid of penalties): the first `k` to enter, as lime's `lasso_path` selection.
    static func lassoPath(_ x: [[Double]], _ y: [Double], weights: [Double], k: Int) -> [Int] {
        let m = x.first?.count ?? 0
        guard k < m else { return Array(0..<m) }
        let total = weights.reduce(0, +)
        var xm = [Double](repeating: 0, count: m), ym = 0.0
        for (r, row) in x.enumerated() { for j in 0..<m { xm[j] += weights[r] * row[j] }; ym += weights[r] * y[r] }
        for j in 0..<m { xm[j] /= total }
        ym /= total
        let xc = x.map { row in (0..<m).map { row[$0] - xm[$0] } }, yc = y.map { $0 - ym }
        var norms = [Double](repeating: 0, count: m), corr = norms
        for r in xc.indices { for j in 0..<m { norms[j] += weights[r] * xc[r][j] * xc[r][j]; corr[j] += weights[r] * xc[r][j] * yc[r] } }
        var beta = [Double](repeating: 0, count: m)
        var residual = yc
        var penalty = corr.map(abs).max() ?? 0
        var order: [Int] = []
        while order.count < k && penalty > 1e-12 {
            penalty *= 0.9
            for _ in 0..<50 {
                for j in 0..<m where norms[j] > 0 {
                    var rho = 0.0
                    for r in xc.indices { rho += weights[r] * xc[r][j] * (residual[r] + xc[r][j] * beta[j]) }
                    let new = (rho > penalty ? rho - penalty : (rho < -penalty ? rho + penalty : 0)) / norms[j]
                    if new != beta[j] {
                        for r in xc.indices { residual[r] -= xc[r][j] * (new - beta[j]) }
                        beta[j] = new
                    }
                }
            }
            for j in 0..<m where beta[j] != 0 && !order.contains(j) { order.append(j) }
        }
        return Array(order.prefix(k))
    }
}
