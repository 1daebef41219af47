import Foundation
import ProbityCore
import ProbityEngine

/// Integrated Gradients (Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep
/// networks"): (x − x′) ⊙ ∫₀¹ ∂y/∂x(x′ + α(x − x′)) dα, summed over channels, signed.
/// The integral is a quadrature as Captum's `IntegratedGradients`: `gausslegendre` (Captum's
/// default; nodes and weights of numpy's `leggauss` mapped to [0, 1]) or `riemann_trapezoid`
/// (α = k/(n−1), end weights halved). Default baseline `black` as in the paper (Captum's is
/// `zero`). All steps of a sample run as one batch. Reports the completeness gap
/// Σ attribution − (y(x) − y(x′)) per sample as the diagnostic `completeness_gap`.
public struct IntegratedGradients: Explainer {
    public static let name = "integrated_gradients"
    public static let signed = true
    public var seeded: Bool { options.string("baseline") == "noise" }
    public static let summary = "Path integral of gradients from a baseline (Sundararajan et al. 2017; Captum IntegratedGradients)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("steps", default: "50", .int(2...10_000), "quadrature points"),
        OptionSpec("method", default: "gausslegendre", .choice(["gausslegendre", "riemann_trapezoid"]), "quadrature rule"),
        OptionSpec("baseline", default: "black", .baseline, "reference input"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    /// Quadrature nodes α in [0, 1] and weights summing to 1.
    public static func quadrature(_ method: String, steps n: Int) -> (alphas: [Double], weights: [Double]) {
        if method == "riemann_trapezoid" {
            let alphas = (0..<n).map { Double($0) / Double(n - 1) }
            var w = [Double](repeating: 1 / Double(n - 1), count: n)
            w[0] /= 2; w[n - 1] /= 2
            return (alphas, w)
        }
        let (x, w) = gaussLegendre(n)
        return (x.map { 0.5 * ($0 + 1) }, w.map { 0.5 * $0 })
    }

    /// Gauss–Legendre nodes and weights on [−1, 1] (Newton's method on Pₙ from the Chebyshev
    /// guesses; ascending nodes, as numpy's `leggauss`).
    public static func gaussLegendre(_ n: Int) -> ([Double], [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = nodes
        for i in 0..<((n + 1) / 2) {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var dp = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = z
                for k in 2...max(2, n) where n >= 2 {
                    let p2 = ((2 * Double(k) - 1) * z * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1; p1 = p2
                }
                let pn = n == 1 ? z : p1, pn1 = n == 1 ? 1 : p0
                dp = Double(n) * (z * pn - pn1) / (z * z - 1)
                let dz = pn / dp
                z -= dz
                if abs(dz) < 1e-15 { break }
            }
            nodes[i] = -z; nodes[n - 1 - i] = z
            let wgt = 2 / ((1 - z * z) * dp * dp)
            weights[i] = wgt; weights[n - 1 - i] = wgt
        }
        return (nodes, weights)
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (alphas, weights) = IntegratedGradients.quadrature(options.string("method"), steps: options.int("steps"))
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        var maps = Tensor(shape: [batch.count, h, w])
        var gaps: [Float] = []
        let threads = Swift.max(1, model.threads)
        for s in 0..<batch.count {
            let x = batch.item(s)
            var rng = batch.rng(s, id)
            let base = try Baseline.make(options.string("baseline"), for: x, preprocessing: batch.preprocessing, rng: &rng)
            let size = x.count
            // The path's inputs and the weighted sum of their gradients are built on the model's
            // threads: steps split over threads for the path, pixels for the sum (each pixel's
            // sum still runs over the steps in order), so the values are a serial loop's.
            var path = Tensor(shape: [alphas.count, c, h, w])
            path.storage.withUnsafeMutableBufferPointer { p in
                x.storage.withUnsafeBufferPointer { xs in
                    base.storage.withUnsafeBufferPointer { bs in
                        ExecutionContext.split(alphas.count, threads: threads) { steps, _ in
                            for k in steps {
                                let a = Float(alphas[k]), row = p.baseAddress! + k * size
                                for i in 0..<size { row[i] = bs[i] + a * (xs[i] - bs[i]) }
                            }
                        }
                    }
                }
            }
            let g = try model.gradient(of: [Int](repeating: batch.targets[s], count: alphas.count), wrt: path).grad
            var total = [Double](repeating: 0, count: size)
            total.withUnsafeMutableBufferPointer { tp in
                g.storage.withUnsafeBufferPointer { gs in
                    ExecutionContext.split(size, threads: threads) { pixels, _ in
                        for k in alphas.indices {
                            let wk = weights[k], row = gs.baseAddress! + k * size
                            for i in pixels { tp[i] += wk * Double(row[i]) }
                        }
                    }
                }
            }
            var attribution = Tensor(shape: [1, c, h, w])
            for i in 0..<x.count { attribution.storage[i] = Float(total[i]) * (x.storage[i] - base.storage[i]) }
            let map = MapOps.sum(attribution)
            maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: map.storage)
            // f(x) − f(baseline), reusing the logits of x when the caller ran them.
            let ends = try batch.logits.map { Tensor.concatenate(batch: [$0.item(s), try model.logits(base)]) }
                ?? model.logits(Tensor.concatenate(batch: [x, base]))
            let k = ends.shape[1], t = batch.targets[s]
            gaps.append(attribution.storage.reduce(0, +) - (ends.storage[t] - ends.storage[k + t]))
        }
        return Attribution(maps: maps, diagnostics: ["completeness_gap": gaps])
    }
}
