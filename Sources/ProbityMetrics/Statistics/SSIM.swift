import Foundation

/// The structural similarity index of Wang et al. 2004 ("Image quality assessment: from error
/// visibility to structural similarity"), as scikit-image's `structural_similarity` computes
/// it by default: 7 × 7 uniform windows, K1 = 0.01, K2 = 0.03, sample covariances
/// (N/(N − 1)), and the mean of the SSIM image without the 3-pixel border (where the
/// windows would leave the image; so no padding rule matters). The sanity-check paper
/// (Adebayo et al. 2018) compares maps with it.
public enum SSIM {
    /// SSIM of two H × W images (row-major) with the given data range.
    public static func index(_ a: [Double], _ b: [Double], height h: Int, width w: Int, dataRange: Double) -> Double {
        precondition(a.count == h * w && b.count == h * w, "ssim: images must be \(h)×\(w)")
        let window = 7, r = window / 2
        guard h >= window, w >= window else { return .nan }
        // Window sums by summed-area tables of a, b, a², b², ab.
        func table(_ f: (Int) -> Double) -> [Double] {
            var t = [Double](repeating: 0, count: (h + 1) * (w + 1))
            for y in 0..<h {
                var row = 0.0
                for x in 0..<w {
                    row += f(y * w + x)
                    t[(y + 1) * (w + 1) + x + 1] = t[y * (w + 1) + x + 1] + row
                }
            }
            return t
        }
        let ta = table { a[$0] }, tb = table { b[$0] }, taa = table { a[$0] * a[$0] }, tbb = table { b[$0] * b[$0] }, tab = table { a[$0] * b[$0] }
        let count = Double(window * window)
        let covNorm = count / (count - 1)
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        var total = 0.0
        for y in r..<(h - r) {
            for x in r..<(w - r) {
                func mean(_ t: [Double]) -> Double {
                    let (y0, y1, x0, x1) = (y - r, y + r + 1, x - r, x + r + 1)
                    return (t[y1 * (w + 1) + x1] - t[y0 * (w + 1) + x1] - t[y1 * (w + 1) + x0] + t[y0 * (w + 1) + x0]) / count
                }
                let ux = mean(ta), uy = mean(tb)
                let vx = covNorm * (mean(taa) - ux * ux), vy = covNorm * (mean(tbb) - uy * uy), vxy = covNorm * (mean(tab) - ux * uy)
                total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
            }
        }
        return total / Double((h - 2 * r) * (w - 2 * r))
    }

    /// SSIM of two 1-D signals (scikit-image's `structural_similarity` on 1-D arrays: windows
    /// of 7 samples, sample covariances, the mean without 3 samples at each end) — what Quantus'
    /// `ssim` computes on flattened maps.
    public static func index1D(_ a: [Double], _ b: [Double], dataRange: Double) -> Double {
        precondition(a.count == b.count, "ssim: signals must have the same length")
        let window = 7, r = window / 2, n = a.count
        guard n >= window else { return .nan }
        func prefix(_ f: (Int) -> Double) -> [Double] {
            var t = [Double](repeating: 0, count: n + 1)
            for i in 0..<n { t[i + 1] = t[i] + f(i) }
            return t
        }
        let ta = prefix { a[$0] }, tb = prefix { b[$0] }, taa = prefix { a[$0] * a[$0] }, tbb = prefix { b[$0] * b[$0] }, tab = prefix { a[$0] * b[$0] }
        let count = Double(window), covNorm = count / (count - 1)
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        var total = 0.0
        for i in r..<(n - r) {
            func mean(_ t: [Double]) -> Double { (t[i + r + 1] - t[i - r]) / count }
            let ux = mean(ta), uy = mean(tb)
            let vx = covNorm * (mean(taa) - ux * ux), vy = covNorm * (mean(tbb) - uy * uy), vxy = covNorm * (mean(tab) - ux * uy)
            total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        }
        return total / Double(n - 2 * r)
    }

    /// Quantus' `ssim` as its `RandomLogit` applies it by default: each map divided by its
    /// maximum magnitude (`normalise_by_max`, signs kept, an all-zero map left as is),
    /// flattened, compared by 1-D SSIM with data range max − min over both maps.
    public static func quantus(_ a: [Float], _ b: [Float]) -> Double {
        func unit(_ m: [Float]) -> [Double] {
            let top = Double(m.reduce(0) { max($0, abs($1)) })
            return m.map { top > 0 ? Double($0) / top : Double($0) }
        }
        let x = unit(a), y = unit(b)
        let all = x + y
        return index1D(x, y, dataRange: abs((all.max() ?? 0) - (all.min() ?? 0)))
    }
}
