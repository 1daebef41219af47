import Foundation
import ProbityCore
import ProbityData

/// Heatmap overlays to look at right away: the map scaled to [0, 1] (by the 99.5th percentile
/// of |value| for signed maps, so 0 stays the midpoint of a diverging map and a few extreme
/// pixels do not wash out the rest; from the minimum to the 99.5th percentile otherwise), colored
/// with a perceptual colormap (viridis for magnitudes, a blue–white–red diverging map for
/// signed maps), blended half-and-half over the grayscale image.
public enum Heatmap {
    /// viridis, by the polynomial fit of its 256-entry table (error < 1/255 per channel).
    static func viridis(_ t: Float) -> (Float, Float, Float) {
        let c0: (Float, Float, Float) = (0.2777273272234177, 0.005407344544966578, 0.3340998053353061)
        let c1: (Float, Float, Float) = (0.1050930431085774, 1.404613529898575, 1.384590162594685)
        let c2: (Float, Float, Float) = (-0.3308618287255563, 0.214847559468213, 0.09509516302823659)
        let c3: (Float, Float, Float) = (-4.634230498983486, -5.799100973351585, -19.33244095627987)
        let c4: (Float, Float, Float) = (6.228269936347081, 14.17993336680509, 56.69055260068105)
        let c5: (Float, Float, Float) = (4.776384997670288, -13.74514537774601, -65.35303263337234)
        let c6: (Float, Float, Float) = (-5.435455855934631, 4.645852612178535, 26.3124352495832)
        func p(_ a: Float, _ b: Float, _ c: Float, _ d: Float, _ e: Float, _ f: Float, _ g: Float) -> Float {
            min(1, max(0, a + t * (b + t * (c + t * (d + t * (e + t * (f + t * g)))))))
        }
        return (p(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0, c6.0), p(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1, c6.1), p(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2, c6.2))
    }

    /// Blue (−1) – white (0) – red (+1).
    static func diverging(_ v: Float) -> (Float, Float, Float) {
        let a = min(1, abs(v))
        return v >= 0 ? (1, 1 - a, 1 - a) : (1 - a, 1 - a, 1)
    }

    /// An RGB overlay of `map` (h × w) on `pixels` (h × w × c, uint8).
    public static func overlay(map: [Float], pixels: [UInt8], height h: Int, width w: Int, channels c: Int, signed: Bool) -> PNGImage {
        var out = [UInt8](repeating: 0, count: h * w * 3)
        let finite = map.filter { $0.isFinite }
        func percentile(_ v: [Float]) -> Float {
            guard !v.isEmpty else { return 0 }
            let sorted = v.sorted()
            return sorted[min(sorted.count - 1, Int(0.995 * Double(sorted.count - 1)))]
        }
        let lo = finite.min() ?? 0, hi = percentile(finite)
        let bound = percentile(finite.map(abs))
        for i in 0..<(h * w) {
            var gray: Float = 0
            for ch in 0..<c { gray += Float(pixels[i * c + ch]) / Float(c) }
            let v = map[i].isFinite ? map[i] : 0
            let color: (Float, Float, Float)
            if signed {
                color = diverging(bound > 0 ? v / bound : 0)
            } else {
                color = viridis(hi > lo ? min(1, (v - lo) / (hi - lo)) : 0)
            }
            let g = gray / 255
            out[i * 3] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.0) * 255)).rounded())
            out[i * 3 + 1] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.1) * 255)).rounded())
            out[i * 3 + 2] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.2) * 255)).rounded())
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: out)
    }
}
