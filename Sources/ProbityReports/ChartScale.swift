import Foundation

/// A linear map from data values to pixels with "nice" ticks (1, 2, 2.5 or 5 × 10ᵏ), the
/// axis every chart here uses. The domain is widened to the outer ticks so bars, whiskers and
/// curves never run off the axis.
struct ChartScale {
    let low: Double, high: Double
    let pixelLow: Double, pixelHigh: Double
    let ticks: [Double]

    /// A scale covering `values` (non-finite ones ignored) and `include` (e.g. 0 for bars),
    /// with about `tickCount` ticks, mapped to `pixelLow...pixelHigh` (which may be reversed
    /// for a y axis).
    init(covering values: [Double], include: [Double] = [], tickCount: Int = 5, pixels: (Double, Double)) {
        let v = (values + include).filter(\.isFinite)
        var lo = v.min() ?? 0, hi = v.max() ?? 1
        if lo == hi { lo -= lo == 0 ? 1 : abs(lo) * 0.1; hi += hi == 0 ? 1 : abs(hi) * 0.1 }
        let step = Self.niceStep((hi - lo) / Double(max(1, tickCount)))
        lo = (lo / step).rounded(.down) * step
        hi = (hi / step).rounded(.up) * step
        var t: [Double] = []
        var x = lo
        while x <= hi + step * 1e-9 { t.append(abs(x) < step * 1e-9 ? 0 : x); x += step }
        self.low = lo; self.high = hi; self.ticks = t
        self.pixelLow = pixels.0; self.pixelHigh = pixels.1
    }

    /// The pixel of value `v`.
    func callAsFunction(_ v: Double) -> Double { pixelLow + (v - low) / (high - low) * (pixelHigh - pixelLow) }

    /// 1, 2, 2.5 or 5 × 10ᵏ, the smallest not below `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow(10, floor(log10(raw)))
        for m in [1, 2, 2.5, 5, 10] where m * p >= raw * (1 - 1e-9) { return m * p }
        return 10 * p
    }

    /// Tick labels with just enough decimals to tell neighbouring ticks apart.
    var labels: [String] {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let exponent = floor(log10(step) + 1e-9)
        let decimals = max(0, min(6, -Int(exponent) + (abs(step / pow(10, exponent) - 2.5) < 1e-6 ? 1 : 0)))
        return ticks.map { t -> String in
            let s = String(format: "%.\(decimals)f", t)
            return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
        }
    }
}
