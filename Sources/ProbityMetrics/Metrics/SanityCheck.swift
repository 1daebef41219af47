import ProbityCore
import ProbityExplainers

/// What the sanity checks share: maps as per-sample arrays, and the per-measure comparison
/// of original with changed maps as metric variants.
enum SanityCheck {
    static func rows(_ maps: Tensor) -> [[Float]] {
        let plane = maps.shape[1] * maps.shape[2]
        return (0..<maps.shape[0]).map { Array(maps.storage[($0 * plane)..<(($0 + 1) * plane)]) }
    }

    /// One variant per similarity measure, named `prefix + measure`.
    static func variants(prefix: String, original: [[Float]], changed: [[Float]], height h: Int, width w: Int) -> [MapSimilarity: MetricOutput.Variant] {
        var out: [MapSimilarity: MetricOutput.Variant] = [:]
        for (measure, scores) in MapSimilarity.compare(original: original, changed: changed, height: h, width: w) {
            out[measure] = MetricOutput.Variant(name: prefix + measure.rawValue, scores: scores,
                                                status: zip(scores, original).map { MetricOutput.status(score: $0, map: $1) })
        }
        return out
    }

    /// The output whose main score is `main`'s, with every measure as a named variant too.
    static func output(_ variants: [MapSimilarity: MetricOutput.Variant], main: MapSimilarity, more: [MetricOutput.Variant] = []) -> MetricOutput {
        let m = variants[main]!
        return MetricOutput(scores: m.scores, status: m.status, variants: MapSimilarity.allCases.map { variants[$0]! } + more)
    }
}
