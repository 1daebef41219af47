import Foundation

/// Rank and linear correlation, computed in double precision as SciPy does.
public enum Correlation {
    /// Ranks 1…n with ties given their average rank (SciPy `rankdata`, method "average").
    public static func ranks<T: Comparable>(_ values: [T]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }

    /// Pearson's r; NaN when either side is constant (as SciPy, which warns).
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "pearson: lengths differ")
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return .nan }
        return max(-1, min(1, sab / (saa * sbb).squareRoot()))
    }

    public static func pearson(_ a: [Float], _ b: [Float]) -> Double { pearson(a.map(Double.init), b.map(Double.init)) }

    /// Spearman's ρ: Pearson's r of the average ranks (SciPy `spearmanr`).
    public static func spearman<T: Comparable>(_ a: [T], _ b: [T]) -> Double { pearson(ranks(a), ranks(b)) }
}
