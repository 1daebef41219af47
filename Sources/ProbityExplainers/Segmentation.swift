import Foundation
import ProbityCore

/// Superpixels for LIME and KernelSHAP: a label per pixel, 0..<count.
public struct Segments: Sendable {
    public var labels: [Int]
    public var count: Int
    public var height: Int
    public var width: Int
}

/// Segmentations, computed on the image's pixel values (0…255, recovered from the model
/// input through the preprocessing):
/// - `quickshift` (Vedaldi & Soatto 2008) as scikit-image's `quickshift`, which lime_image uses
///   with kernel_size 4, max_dist 200, ratio 0.2 (Probity's defaults scale the first two with
///   the image size, `quickshiftParameters`; at 224 px they are these): CIELAB color × ratio plus (row, column)
///   position; Parzen density with a Gaussian of σ = kernel_size over a window of ±⌈3σ⌉;
///   each pixel links to its nearest neighbor of higher density within the window, unless
///   that is farther than max_dist; trees are the segments. Density ties are broken by a
///   tiny seeded perturbation, as scikit-image does.
/// - `slic` (Achanta et al. 2012) with the defaults of MATLAB's `superpixels` (N ≈ 100,
///   compactness 10, CIELAB): 10 k-means iterations over a 2S × 2S window around each center,
///   fragments under a quarter cell merged into a neighbor. Not checked against MATLAB's output
///   (no MATLAB here); its tests are structural.
/// - `grid`: square cells of side ⌈W / cells⌉.
public enum Segmentation {
    /// CIELAB (D65) of sRGB values in 0…255, as scikit-image's `rgb2lab`. Gray images are repeated.
    public static func lab(_ rgb: [Float], height h: Int, width w: Int, channels c: Int) -> [[Double]] {
        func linear(_ v: Double) -> Double { v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92 }
        func f(_ t: Double) -> Double { t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116 }
        var out = [[Double]](repeating: [0, 0, 0], count: h * w)
        for i in 0..<(h * w) {
            let r = linear(Double(rgb[i]) / 255), g = linear(Double(rgb[(c == 3 ? h * w : 0) + i]) / 255), b = linear(Double(rgb[(c == 3 ? 2 * h * w : 0) + i]) / 255)
            let x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.95047
            let y = 0.212671 * r + 0.715160 * g + 0.072169 * b
            let z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883
            let fy = f(y)
            out[i] = [y > 0.008856 ? 116 * cbrt(y) - 16 : 903.3 * y, 500 * (f(x) - fy), 200 * (fy - f(z))]
        }
        return out
    }

    public static func grid(height h: Int, width w: Int, cells: Int) -> Segments {
        let side = max(1, (max(h, w) + cells - 1) / cells)
        let columns = (w + side - 1) / side
        var labels = [Int](repeating: 0, count: h * w)
        for y in 0..<h { for x in 0..<w { labels[y * w + x] = (y / side) * columns + x / side } }
        return relabeled(labels, height: h, width: w)
    }

    public static func quickshift(_ rgb: [Float], height h: Int, width w: Int, channels c: Int,
                                  kernelSize: Double = 4, maxDistance: Double = 200, ratio: Double = 0.2, seed: UInt64 = 42) -> Segments {
        let lab = Segmentation.lab(rgb, height: h, width: w, channels: c).map { $0.map { $0 * ratio } }
        let window = Int((3 * kernelSize).rounded(.up))
        var rng = RNG(seed: seed, stream: ["quickshift"])
        var density = [Double](repeating: 0, count: h * w)
        func distance2(_ i: Int, _ j: Int, _ dy: Int, _ dx: Int) -> Double {
            let a = lab[i], b = lab[j]
            let d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2]
            return d0 * d0 + d1 * d1 + d2 * d2 + Double(dy * dy + dx * dx)
        }
        for y in 0..<h { for x in 0..<w {
            let i = y * w + x
            var d = 0.0
            for yy in max(0, y - window)...min(h - 1, y + window) { for xx in max(0, x - window)...min(w - 1, x + window) {
                d += exp(-distance2(i, yy * w + xx, yy - y, xx - x) / (2 * kernelSize * kernelSize))
            } }
            density[i] = d + Double(rng.uniform()) * 1e-5
        } }
        var parent = Array(0..<(h * w))
        for y in 0..<h { for x in 0..<w {
            let i = y * w + x
            var best = Double.infinity
            for yy in max(0, y - window)...min(h - 1, y + window) { for xx in max(0, x - window)...min(w - 1, x + window) {
                let j = yy * w + xx
                guard density[j] > density[i] else { continue }
                let d = distance2(i, j, yy - y, xx - x)
                if d < best { best = d; parent[i] = j }
            } }
            if best.squareRoot() > maxDistance { parent[i] = i }
        } }
        var labels = [Int](repeating: 0, count: h * w)
        for i in 0..<(h * w) {
            var r = i
            while parent[r] != r { r = parent[r] }
            labels[i] = r
        }
        return relabeled(labels, height: h, width: w)
    }

    public static func slic(_ rgb: [Float], height h: Int, width w: Int, channels c: Int, segments n: Int = 100, compactness: Double = 10, iterations: Int = 10) -> Segments {
        let lab = Segmentation.lab(rgb, height: h, width: w, channels: c)
        let step = max(1, Int((Double(h * w) / Double(n)).squareRoot().rounded()))
        var centers: [[Double]] = []   // L, a, b, y, x
        var y = step / 2
        while y < h { var x = step / 2; while x < w { let p = lab[y * w + x]; centers.append([p[0], p[1], p[2], Double(y), Double(x)]); x += step }; y += step }
        var labels = [Int](repeating: 0, count: h * w)
        let m2 = compactness * compactness, s2 = Double(step * step)
        for _ in 0..<iterations {
            var best = [Double](repeating: .infinity, count: h * w)
            for (k, ctr) in centers.enumerated() {
                let cy = Int(ctr[3]), cx = Int(ctr[4])
                for yy in max(0, cy - 2 * step)..<min(h, cy + 2 * step + 1) { for xx in max(0, cx - 2 * step)..<min(w, cx + 2 * step + 1) {
                    let p = lab[yy * w + xx]
                    let dc = (p[0] - ctr[0]) * (p[0] - ctr[0]) + (p[1] - ctr[1]) * (p[1] - ctr[1]) + (p[2] - ctr[2]) * (p[2] - ctr[2])
                    let ds = (Double(yy) - ctr[3]) * (Double(yy) - ctr[3]) + (Double(xx) - ctr[4]) * (Double(xx) - ctr[4])
                    let d = dc + ds / s2 * m2
                    if d < best[yy * w + xx] { best[yy * w + xx] = d; labels[yy * w + xx] = k }
                } }
            }
            var sums = [[Double]](repeating: [0, 0, 0, 0, 0, 0], count: centers.count)
            for i in 0..<(h * w) {
                let p = lab[i], k = labels[i]
                sums[k][0] += p[0]; sums[k][1] += p[1]; sums[k][2] += p[2]; sums[k][3] += Double(i / w); sums[k][4] += Double(i % w); sums[k][5] += 1
            }
            for k in centers.indices where sums[k][5] > 0 { centers[k] = (0..<5).map { sums[k][$0] / sums[k][5] } }
        }
        // Merge fragments smaller than a quarter of a cell into the label of their first neighbor.
        var seg = relabeled(labels, height: h, width: w)
        var sizes = [Int](repeating: 0, count: seg.count)
        for l in seg.labels { sizes[l] += 1 }
        for i in 0..<(h * w) where sizes[seg.labels[i]] < step * step / 4 {
            let neighbor = i % w > 0 ? i - 1 : (i >= w ? i - w : i)
            if neighbor != i { seg.labels[i] = seg.labels[neighbor] }
        }
        return relabeled(seg.labels, height: h, width: w)
    }

    /// Labels renumbered 0..<count in order of first appearance.
    static func relabeled(_ labels: [Int], height h: Int, width w: Int) -> Segments {
        var map: [Int: Int] = [:]
        var out = [Int](repeating: 0, count: labels.count)
        for (i, l) in labels.enumerated() {
            if let k = map[l] { out[i] = k } else { map[l] = map.count; out[i] = map[l]! }
        }
        return Segments(labels: out, count: map.count, height: h, width: w)
    }

    static let specs: [OptionSpec] = [
        OptionSpec("segmentation", default: "quickshift", .choice(["quickshift", "slic", "grid"]), "superpixels"),
        OptionSpec("kernel_size", default: "auto", .text, "quickshift kernel size (auto: 4 × min(H, W)/224, at least 1; 4 at 224 px as lime_image)"),
        OptionSpec("max_dist", default: "auto", .text, "quickshift maximum link distance (auto: 200 × min(H, W)/224, at least 10; 200 at 224 px)"),
        OptionSpec("ratio", default: "0.2", .double(0...1), "quickshift color/space ratio"),
        OptionSpec("n_segments", default: "100", .int(1...100_000), "slic: number of superpixels"),
        OptionSpec("cells", default: "8", .int(1...1024), "grid: cells per side"),
    ]

    /// Checks the options whose value may be `auto` (LIME and KernelSHAP call this from `init`,
    /// so a bad value is refused before any work).
    static func check(_ options: Options, explainer: String) throws {
        for (key, range) in [("kernel_size", 0.5...100.0), ("max_dist", 0.0...1e6)] where options.string(key) != "auto" {
            guard let v = Double(options.string(key)), range.contains(v) else {
                throw ProbityError.invalidArgument("\(explainer): \(key) must be auto or a number in \(range.lowerBound)…\(range.upperBound), got \(options.string(key))")
            }
        }
    }

    /// Quickshift's kernel size and maximum distance for an H × W image. Explicit values are
    /// used exactly. `auto` scales lime_image's defaults (4 and 200, chosen for 224 px images)
    /// by s = min(H, W)/224 — kernel_size max(1, 4s), max_dist max(10, 200s) — because the
    /// kernel is in pixels: at 64 px a σ of 4 (a ±12 px window) smooths the density over a
    /// fifth of the image and merges a small object into the background (one or two segments,
    /// a constant map). At 224 px s = 1 exactly, so the values, and the segments, are
    /// lime_image's.
    public static func quickshiftParameters(_ options: Options, height h: Int, width w: Int) -> (kernelSize: Double, maxDistance: Double) {
        let scale = Double(min(h, w)) / 224
        let kernel = options.string("kernel_size") == "auto" ? max(1, 4 * scale) : options.double("kernel_size")
        let distance = options.string("max_dist") == "auto" ? max(10, 200 * scale) : options.double("max_dist")
        return (kernel, distance)
    }

    /// The segmentation `options` choose, of image `s` of the batch.
    static func segments(_ batch: ExplainBatch, sample s: Int, options: Options) -> Segments {
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        var rgb = [Float](repeating: 0, count: c * h * w)
        for ch in 0..<c { for i in 0..<(h * w) {
            rgb[ch * h * w + i] = batch.preprocessing.pixel(input: batch.x.storage[(s * c + ch) * h * w + i], channel: ch % batch.preprocessing.channels)
        } }
        switch options.string("segmentation") {
        case "grid": return grid(height: h, width: w, cells: options.int("cells"))
        case "slic": return slic(rgb, height: h, width: w, channels: c, segments: options.int("n_segments"))
        default:
            let (kernel, distance) = quickshiftParameters(options, height: h, width: w)
            return quickshift(rgb, height: h, width: w, channels: c, kernelSize: kernel, maxDistance: distance, ratio: options.double("ratio"))
        }
    }
}
