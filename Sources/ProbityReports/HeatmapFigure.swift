import Foundation
import ProbityData

/// A heatmap overlay made readable on its own: the overlay of `Heatmap.overlay`, upscaled by
/// nearest neighbour (each map pixel stays a crisp block, nothing is invented) to at least
/// `minimumSize` pixels on its long side, with a colour bar of the same colormap at the right.
/// The value range of the bar (`low`…`high`) and the colormap's name go with it, for the
/// caption or the file name: `viridis` for magnitudes, `blue-white-red` (diverging, 0 = white)
/// for signed maps, or `jet` when asked for (`jet: true`: MATLAB's picture, `Heatmap.jetOverlay`,
/// the bar spanning the map's minimum to maximum). The bar's end values and the colormap's name are also drawn into the
/// image (`BitmapFont`), so the PNG explains itself when used alone.
public struct HeatmapFigure: Sendable {
    public let image: PNGImage
    /// `viridis` or `blue-white-red`.
    public let colormap: String
    /// The values at the bottom and the top of the colour bar (the map's clipping range).
    public let low: Float, high: Float

    /// The x of the colour bar's left edge in `image`.
    public let barOrigin: Int

    /// The bar's end values written to the precision of its span (three significant digits of
    /// `high − low`), so a minimum of 6.8e-05 under a maximum of 0.42 reads `0.000`, not an
    /// exponent that tells the reader nothing at this scale.
    static func labels(low: Float, high: Float) -> (high: String, low: String) {
        let span = Double(high - low)
        guard span.isFinite, span > 0 else { return (Markup.number(Double(high)), Markup.number(Double(low))) }
        let exponent = Int(floor(log10(span)))
        if exponent < -3 || exponent > 4 { return (Markup.number(Double(high)), Markup.number(Double(low))) }
        let decimals = max(0, 2 - exponent)
        func f(_ v: Float) -> String { let s = String(format: "%.\(decimals)f", Double(v)); return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s }
        return (f(high), f(low))
    }

    /// Width of the colour bar and the gap before it, in output pixels.
    static let barWidth = 16, gap = 8

    /// The figure of `map` (h × w) over `pixels` (h × w × c uint8), or of the map alone when
    /// `pixels` is nil. `annotated` false leaves out the bar's values and the colormap's name,
    /// for small multiples (the sanity-check rows) whose caption names the colormap once.
    public init(map: [Float], pixels: [UInt8]?, height h: Int, width w: Int, channels c: Int, signed: Bool, minimumSize: Int = 192, annotated: Bool = true, jet: Bool = false) {
        let overlay = jet ? Heatmap.jetOverlay(map: map, pixels: pixels, height: h, width: w, channels: c)
            : pixels.map { Heatmap.overlay(map: map, pixels: $0, height: h, width: w, channels: c, signed: signed) }
            ?? Heatmap.image(map: map, height: h, width: w, signed: signed)
        let range = jet ? Heatmap.fullRange(map) : Heatmap.range(map, signed: signed)
        low = range.low; high = range.high
        colormap = jet ? "jet" : signed ? "blue-white-red" : "viridis"
        let k = max(1, Int((Double(minimumSize) / Double(max(1, max(h, w)))).rounded(.up)))
        // Layout: the map, a gap, the colour bar, its end values beside it; the colormap's name below.
        let scale = max(1, min(2, h * k / 60))
        let (highText, lowText) = Self.labels(low: range.low, high: range.high)
        let barX = w * k + Self.gap
        let labelX = barX + Self.barWidth + 3
        let textHeight = 5 * scale
        let ow = annotated ? max(labelX + max(BitmapFont.width(highText, scale: scale), BitmapFont.width(lowText, scale: scale)) + 2,
                                 BitmapFont.width(colormap, scale: scale) + 2) : barX + Self.barWidth
        let mapHeight = h * k
        let oh = annotated ? mapHeight + textHeight + 4 * scale : mapHeight
        var out = [UInt8](repeating: 255, count: oh * ow * 3)
        for y in 0..<mapHeight {
            for x in 0..<(w * k) {
                let src = ((y / k) * w + x / k) * 3, dst = (y * ow + x) * 3
                out[dst] = overlay.pixels[src]; out[dst + 1] = overlay.pixels[src + 1]; out[dst + 2] = overlay.pixels[src + 2]
            }
            // Colour bar: top = high, bottom = low, in the map's own colours (not blended), framed.
            let t = mapHeight > 1 ? 1 - Float(y) / Float(mapHeight - 1) : 1
            let color = jet ? Heatmap.jet256[min(255, Int(t * 256))] : signed ? Heatmap.diverging(2 * t - 1) : Heatmap.viridis(t)
            for x in barX..<(barX + Self.barWidth) {
                let dst = (y * ow + x) * 3
                let edge = x == barX || x == barX + Self.barWidth - 1 || y == 0 || y == mapHeight - 1
                out[dst] = edge ? 60 : UInt8((color.0 * 255).rounded())
                out[dst + 1] = edge ? 60 : UInt8((color.1 * 255).rounded())
                out[dst + 2] = edge ? 60 : UInt8((color.2 * 255).rounded())
            }
        }
        if annotated {
            let ink: (UInt8, UInt8, UInt8) = (40, 40, 40)
            BitmapFont.draw(highText, x: labelX, y: 0, scale: scale, color: ink, into: &out, rowWidth: ow)
            BitmapFont.draw(lowText, x: labelX, y: mapHeight - textHeight, scale: scale, color: ink, into: &out, rowWidth: ow)
            BitmapFont.draw(colormap, x: 0, y: mapHeight + 2 * scale, scale: scale, color: ink, into: &out, rowWidth: ow)
        }
        barOrigin = barX
        image = PNGImage(width: ow, height: oh, channels: 3, pixels: out)
    }
}
