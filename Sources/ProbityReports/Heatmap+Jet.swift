import Foundation
import ProbityData

/// MATLAB's classic heat-map picture, for the `imageLIME` workflow (`probity figure imagelime`):
/// `imshow(X); hold on; imagesc(map, AlphaData=0.5); colormap jet; colorbar`. The map's full
/// range (minimum to maximum, `imagesc`'s automatic color limits) is cut into the 256 rows of
/// `jet(256)`, and each pixel's row is laid at alpha ½ over the color image (not its gray level,
/// unlike `Heatmap.overlay`). Jet is not perceptually uniform; it is here because it is the
/// picture users of that workflow know.
extension Heatmap {
    /// MATLAB's `jet(m)`: with n = ⌈m/4⌉ and u = [1…n, n ones, n…1]/n (the middle run n − 1
    /// long), green is u placed from row ⌈n/2⌉ − (m mod 4 = 1) + 1, red the same n rows later,
    /// blue n rows earlier, each cut to the m rows. jet(256) runs from (0, 0, 0.5156) to (0.5, 0, 0).
    public static func jetTable(_ m: Int = 256) -> [(Float, Float, Float)] {
        let n = (m + 3) / 4
        let u: [Double] = (1...n).map { Double($0) / Double(n) } + [Double](repeating: 1, count: n - 1) + (1...n).reversed().map { Double($0) / Double(n) }
        let g0 = (n + 1) / 2 - (m % 4 == 1 ? 1 : 0)          // MATLAB: g = ceil(n/2) - (mod(m,4)==1) + (1:length(u))
        var table = [(Float, Float, Float)](repeating: (0, 0, 0), count: m)
        for (k, value) in u.enumerated() {
            let g = g0 + k + 1, r = g + n, b = g - n            // 1-based rows
            if (1...m).contains(r) { table[r - 1].0 = Float(value) }
            if (1...m).contains(g) { table[g - 1].1 = Float(value) }
            if (1...m).contains(b) { table[b - 1].2 = Float(value) }
        }
        return table
    }
    static let jet256 = jetTable(256)

    /// `imagesc`'s color limits: the smallest and largest finite value.
    public static func fullRange(_ map: [Float]) -> (low: Float, high: Float) {
        let finite = map.filter { $0.isFinite }
        return (finite.min() ?? 0, finite.max() ?? 0)
    }

    /// The jet(256) row `imagesc` gives `v` between `low` and `high`: ⌊(v − low)/(high − low) · 256⌋,
    /// clipped to the table (a constant map takes the first row, as MATLAB's limits then do).
    static func jet(_ v: Float, low: Float, high: Float) -> (Float, Float, Float) {
        guard high > low, v.isFinite else { return jet256[0] }
        let t = (Double(v) - Double(low)) / (Double(high) - Double(low))
        return jet256[min(255, max(0, Int((t * 256).rounded(.down))))]
    }

    /// `map` (h × w) in jet at alpha ½ over the color image `pixels` (h × w × c uint8; gray
    /// repeated), or alone (alpha 1) when `pixels` is nil.
    public static func jetOverlay(map: [Float], pixels: [UInt8]?, height h: Int, width w: Int, channels c: Int) -> PNGImage {
        let (low, high) = fullRange(map)
        let alpha: Float = pixels == nil ? 1 : 0.5
        var out = [UInt8](repeating: 0, count: h * w * 3)
        for i in 0..<(h * w) {
            let color = jet(map[i], low: low, high: high)
            for (ch, value) in [color.0, color.1, color.2].enumerated() {
                let under = pixels.map { Float($0[i * c + (c == 3 ? ch : 0)]) / 255 } ?? 0
                out[i * 3 + ch] = UInt8(min(255, max(0, ((1 - alpha) * under + alpha * value) * 255)).rounded())
            }
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: out)
    }
}
