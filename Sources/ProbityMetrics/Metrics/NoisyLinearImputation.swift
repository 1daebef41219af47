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
        // Per unknown: its diagonal (sum of in-image weights), unknown neighbours (one row of the
        // Laplacian, stored flat) and known ones (the right-hand side's terms).
        let n = unknown.count
        var laplacian = Laplacian(diagonal: [Double](repeating: 0, count: n), rowStart: [0], column: [], weight: [])
        var knownStart = [0], knownPixel: [Int] = [], knownWeight: [Double] = []
        for (k, p) in unknown.enumerated() {
            let (y, x) = (p / w, p % w)
            for nb in neighbours {
                let (yy, xx) = (y + nb.dy, x + nb.dx)
                guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                laplacian.diagonal[k] += nb.weight
                let q = yy * w + xx
                if variable[q] >= 0 {
                    laplacian.column.append(variable[q]); laplacian.weight.append(nb.weight)
                } else {
                    knownPixel.append(q); knownWeight.append(nb.weight)
                }
            }
            laplacian.rowStart.append(laplacian.column.count)
            knownStart.append(knownPixel.count)
        }
        let known = (0..<plane).filter { !removed[$0] }
        var out = image
        for ch in 0..<c {
            let base = ch * plane
            let start = known.isEmpty ? 0 : known.reduce(0.0) { $0 + Double(image.storage[base + $1]) } / Double(known.count)
            let b = (0..<n).map { k in (knownStart[k]..<knownStart[k + 1]).reduce(0.0) { $0 + knownWeight[$1] * Double(image.storage[base + knownPixel[$1]]) } }
            let solution = conjugateGradients(laplacian, b: b, start: start)
            for (k, p) in unknown.enumerated() { out.storage[base + p] = Float(solution[k]) + noise * rng.normal() }
        }
        return out
    }

    /// The system's matrix D − W in compressed rows: row i has `diagonal[i]` and −`weight[k]`
    /// at `column[k]` for k in `rowStart[i]..<rowStart[i + 1]`, in the neighbour order above.
    struct Laplacian {
        var diagonal: [Double]
        var rowStart: [Int]
        var column: [Int]
        var weight: [Double]

        /// `out` = (D − W) `v`, each row summed in its stored order.
        func apply(_ v: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
            diagonal.withUnsafeBufferPointer { d in rowStart.withUnsafeBufferPointer { rs in
                column.withUnsafeBufferPointer { col in weight.withUnsafeBufferPointer { wt in
                    for i in 0..<d.count {
                        var s = d[i] * v[i]
                        for k in rs[i]..<rs[i + 1] { s -= wt[k] * v[col[k]] }
                        out[i] = s
                    }
                } }
            } }
        }
    }

    /// Solves (D − W) x = b by conjugate gradients from x = `start` everywhere, to a residual
    /// norm of 1e-6 · ‖b‖ (at most 20 n + 100 steps). Every sum runs in index order, so the
    /// result is the same bit for bit on every run.
    static func conjugateGradients(_ a: Laplacian, b: [Double], start: Double) -> [Double] {
        let n = b.count
        var x = [Double](repeating: start, count: n)
        var r = [Double](repeating: 0, count: n), p = [Double](repeating: 0, count: n), ap = [Double](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { x in r.withUnsafeMutableBufferPointer { r in
            p.withUnsafeMutableBufferPointer { p in ap.withUnsafeMutableBufferPointer { ap in
                let (x, r, p, ap) = (x.baseAddress!, r.baseAddress!, p.baseAddress!, ap.baseAddress!)
                a.apply(x, into: ap)
                var rr = 0.0, bb = 0.0
                for i in 0..<n { r[i] = b[i] - ap[i]; p[i] = r[i]; rr += r[i] * r[i]; bb += b[i] * b[i] }
                let bNorm = max(bb.squareRoot(), 1e-12)
                var iteration = 0
                while rr.squareRoot() > 1e-6 * bNorm && iteration < 20 * n + 100 {
                    a.apply(p, into: ap)
                    var pap = 0.0
                    for i in 0..<n { pap += p[i] * ap[i] }
                    guard pap > 0 else { break }
                    let alpha = rr / pap
                    var next = 0.0
                    for i in 0..<n { x[i] += alpha * p[i]; r[i] -= alpha * ap[i]; next += r[i] * r[i] }
                    let beta = next / rr
                    rr = next
                    for i in 0..<n { p[i] = r[i] + beta * p[i] }
                    iteration += 1
                }
            } }
        } }
        return x
    }
}
