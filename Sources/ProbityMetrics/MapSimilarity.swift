import Foundation

/// How sanity checks compare a map with the map of a changed model or class (Adebayo et al.
/// 2018, section 3): Spearman rank correlation of the signed maps and of their absolute
/// values; SSIM and the Pearson correlation of HOG features, both of the absolute maps scaled
/// to [0, 1] by their maximum (data range 1). 1 means unchanged; a method that passes a
/// sanity check scores low.
public enum MapSimilarity: String, CaseIterable, Sendable {
    case spearman, spearmanAbs = "spearman_abs", ssim, hog

    public func callAsFunction(_ a: [Float], _ b: [Float], height h: Int, width w: Int) -> Float {
        switch self {
        case .spearman: return Float(Correlation.spearman(a, b))
        case .spearmanAbs: return Float(Correlation.spearman(a.map(abs), b.map(abs)))
        case .ssim: return Float(SSIM.index(MapSimilarity.unitAbs(a), MapSimilarity.unitAbs(b), height: h, width: w, dataRange: 1))
        case .hog: return Float(Correlation.pearson(HOG.features(MapSimilarity.unitAbs(a), height: h, width: w),
                                                   HOG.features(MapSimilarity.unitAbs(b), height: h, width: w)))
        }
    }

    /// |map| / max |map| (all zeros stay zeros).
    static func unitAbs(_ m: [Float]) -> [Double] {
        let top = Double(m.reduce(0) { max($0, abs($1)) })
        return m.map { top > 0 ? Double(abs($0)) / top : 0 }
    }

    /// Each measure's similarity of every original map to its changed map.
    static func compare(original: [[Float]], changed: [[Float]], height h: Int, width w: Int) -> [MapSimilarity: [Float]] {
        var out: [MapSimilarity: [Float]] = [:]
        for m in MapSimilarity.allCases { out[m] = zip(original, changed).map { m($0, $1, height: h, width: w) } }
        return out
    }
}
