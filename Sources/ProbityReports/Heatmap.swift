import Foundation
import ProbityCore
import ProbityData

/// Heatmap overlays to look at right away: the map scaled to [0, 1] (by the 99.5th percentile
/// of |value| for signed maps, so 0 stays the midpoint of a diverging map and a few extreme
/// pixels do not wash out the rest; from the minimum to the 99.5th percentile otherwise), colored
/// with a perceptual colormap (viridis for magnitudes, a blue–white–red diverging map for
/// signed maps), blended half-and-half over the grayscale image.
public enum Heatmap {
    /// viridis: matplotlib's table sampled at 33 evenly spaced points, linearly interpolated
    /// (within 2.5/255 per channel of the 256-entry table, exact at the ends: #440154 … #fde725).
    /// A polynomial fit used before was off by up to 3.2/255, most at the ends.
    static let viridisTable: [(Float, Float, Float)] = [
        (0.267004, 0.004874, 0.329415), (0.277018, 0.050344, 0.375715), (0.282327, 0.094955, 0.417331), (0.282884, 0.135920, 0.453427),
        (0.278826, 0.175490, 0.483397), (0.270595, 0.214069, 0.507052), (0.258965, 0.251537, 0.524736), (0.244972, 0.287675, 0.537260),
        (0.229739, 0.322361, 0.545706), (0.214298, 0.355619, 0.551184), (0.199430, 0.387607, 0.554642), (0.185556, 0.418570, 0.556753),
        (0.172719, 0.448791, 0.557885), (0.160665, 0.478540, 0.558115), (0.149039, 0.508051, 0.557250), (0.137770, 0.537492, 0.554906),
        (0.127568, 0.566949, 0.550556), (0.120565, 0.596422, 0.543611), (0.120638, 0.625828, 0.533488), (0.132268, 0.655014, 0.519661),
        (0.157851, 0.683765, 0.501686), (0.196571, 0.711827, 0.479221), (0.246070, 0.738910, 0.452024), (0.304148, 0.764704, 0.419943),
        (0.369214, 0.788888, 0.382914), (0.440137, 0.811138, 0.340967), (0.515992, 0.831158, 0.294279), (0.595839, 0.848717, 0.243329),
        (0.678489, 0.863742, 0.189503), (0.762373, 0.876424, 0.137064), (0.845561, 0.887322, 0.099702), (0.926106, 0.897330, 0.104071),
        (0.993248, 0.906157, 0.143936),
    ]

    /// viridis at `t` in [0, 1] (clamped).
    static func viridis(_ t: Float) -> (Float, Float, Float) {
        let x = min(1, max(0, t.isFinite ? t : 0)) * Float(viridisTable.count - 1)
        let i = min(viridisTable.count - 2, Int(x)), f = x - Float(i)
        let (a, b) = (viridisTable[i], viridisTable[i + 1])
        return (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2))
    }

    /// Blue (−1) – white (0) – red (+1).
    static func diverging(_ v: Float) -> (Float, Float, Float) {
        let a = min(1, abs(v))
        return v >= 0 ? (1, 1 - a, 1 - a) : (1 - a, 1 - a, 1)
    }

    /// The values the colormap's ends stand for: ±(99.5th percentile of |value|) for signed
    /// maps, (minimum, 99.5th percentile) otherwise; non-finite values are ignored.
    public static func range(_ map: [Float], signed: Bool) -> (low: Float, high: Float) {
        let finite = map.filter { $0.isFinite }
        func percentile(_ v: [Float]) -> Float {
            guard !v.isEmpty else { return 0 }
            let sorted = v.sorted()
            return sorted[min(sorted.count - 1, Int(0.995 * Double(sorted.count - 1)))]
        }
        if signed { let b = percentile(finite.map(abs)); return (-b, b) }
        return (finite.min() ?? 0, percentile(finite))
    }

    /// The colour of each value of `map` in [0, 1] RGB: viridis over (minimum, 99.5th
    /// percentile) for magnitudes, blue–white–red over ±(99.5th percentile of |value|) for
    /// signed maps; non-finite values are drawn as 0.
    public static func colors(_ map: [Float], signed: Bool) -> [(Float, Float, Float)] {
        let (lo, hi) = range(map, signed: signed)
        return map.map { m in
            let v = m.isFinite ? m : 0
            return signed ? diverging(hi > 0 ? v / hi : 0) : viridis(hi > lo ? max(0, min(1, (v - lo) / (hi - lo))) : 0)
        }
    }

    /// An RGB image of `map` (h × w) alone, in the colours of `colors`.
    public static func image(map: [Float], height h: Int, width w: Int, signed: Bool) -> PNGImage {
        var out = [UInt8](repeating: 0, count: h * w * 3)
        for (i, color) in colors(map, signed: signed).enumerated() {
            out[i * 3] = UInt8((color.0 * 255).rounded()); out[i * 3 + 1] = UInt8((color.1 * 255).rounded()); out[i * 3 + 2] = UInt8((color.2 * 255).rounded())
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: out)
    }

    /// An RGB overlay of `map` (h × w) on `pixels` (h × w × c, uint8): the colours of
    /// `colors`, blended half-and-half with the image's gray level.
    public static func overlay(map: [Float], pixels: [UInt8], height h: Int, width w: Int, channels c: Int, signed: Bool) -> PNGImage {
        var out = [UInt8](repeating: 0, count: h * w * 3)
        for (i, color) in colors(map, signed: signed).enumerated() {
            var gray: Float = 0
            for ch in 0..<c { gray += Float(pixels[i * c + ch]) / Float(c) }
            let g = gray / 255
            out[i * 3] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.0) * 255)).rounded())
            out[i * 3 + 1] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.1) * 255)).rounded())
            out[i * 3 + 2] = UInt8(min(255, max(0, (0.5 * g + 0.5 * color.2) * 255)).rounded())
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: out)
    }
}
