import Foundation
import ProbityCore

/// The noisy linear imputation of ROAD (Rong et al. 2022, "A consistent and efficient
/// evaluation strategy for attribution methods"), as its reference code defines it: each
/// removed pixel equals the weighted mean of its in-image 8-neighbours (weight 1/6 for the
/// four direct, 1/12 for the four diagonal ones), known neighbours entering the right-hand
/// side, so the removed values solve one sparse linear system per channel; then Gaussian
/// noise (σ = 0.01 in the model's input space by default) is added to them. The reference
/// code uses a direct sparse solver; the system is a weighted graph Laplacian (symmetric,
/// positive definite when every hole touches a known pixel), so this solves it by conjugate
/// gradients to a relative residual of 1e-6, from the mean of the known pixels (a hole with
/// no known neighbour keeps that mean, the Laplacian's null space).
enum NoisyLinearImputation {
    static let neighbours: [(dy: Int, dx: Int, weight: Double)] = [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ]

    /// `image` [1, C, H, W] with the pixels where `removed` is true imputed.
    static func impute(_ image: Tensor, removed: [Bool], noise: Float, rng: inout RNG) -> Tensor {
        let (c, h, w) = (image.shape[1], image.shape[2], image.shape[3])
        let plane = h * w
        let unknown = removed.indices.filter { removed[$0] }
        guard !unknown.isEmpty else { return image }
        var variable = [Int](repeating: -1, count: plane)
        for (k, p) in unknown.enumerated() { variable[p] = k }
        // Per unknown: its diagonal (sum of in-image weights), unknown neighbours and known ones.
        let n = unknown.count
        var diagonal = [Double](repeating: 0, count: n)
        var links: [[(Int, Double)]] = Array(repeating: [], count: n)
        var knownLinks: [[(Int, Double)]] = Array(repeating: [], count: n)
        for (k, p) in unknown.enumerated() {
            let (y, x) = (p / w, p % w)
            for nb in neighbours {
                let (yy, xx) = (y + nb.dy, x + nb.dx)
                guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                diagonal[k] += nb.weight
                let q = yy * w + xx
                if variable[q] >= 0 { links[k].append((variable[q], nb.weight)) } else { knownLinks[k].append((q, nb.weight)) }
            }
        }
        var out = image
        for ch in 0..<c {
            let base = ch * plane
            let known = (0..<plane).filter { !removed[$0] }
            let start = known.isEmpty ? 0 : known.reduce(0.0) { $0 + Double(image.storage[base + $1]) } / Double(known.count)
            let b = (0..<n).map { k in knownLinks[k].reduce(0.0) { $0 + $1.1 * Double(image.storage[base + $1.0]) } }
            let solution = conjugateGradients(diagonal: diagonal, links: links, b: b, start: start)
            for (k, p) in unknown.enumerated() { out.storage[base + p] = Float(solution[k]) + noise * rng.normal() }
        }
        return out
    }

    /// Solves (D − W) x = b for the Laplacian given by `diagonal` and `links`.
    static func conjugateGradients(diagonal: [Double], links: [[(Int, Double)]], b: [Double], start: Double) -> [Double] {
        let n = b.count
        func apply(_ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = diagonal[i] * v[i]
                for (j, wt) in links[i] { s -= wt * v[j] }
                out[i] = s
            }
            return out
        }
        var x = [Double](repeating: start, count: n)
        let ax = apply(x)
        var r = (0..<n).map { b[$0] - ax[$0] }
        var p = r
        var rr = r.reduce(0) { $0 + $1 * $1 }
        let bNorm = max(b.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        var iteration = 0
        while rr.squareRoot() > 1e-6 * bNorm && iteration < 20 * n + 100 {
            let ap = apply(p)
            let pap = zip(p, ap).reduce(0) { $0 + $1.0 * $1.1 }
            guard pap > 0 else { break }
            let alpha = rr / pap
            for i in 0..<n { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
            let next = r.reduce(0) { $0 + $1 * $1 }
            let beta = next / rr
            rr = next
            for i in 0..<n { p[i] = r[i] + beta * p[i] }
            iteration += 1
        }
        return x
    }
}
