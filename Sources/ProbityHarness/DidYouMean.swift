/// "Did you mean …" for near misses in names a user types (suite keys, explainer, metric and
/// option names): the closest candidate by edit distance (transpositions count once), when it
/// is close enough to be a typo (at most a third of the word's length, at least one edit), or
/// else a candidate the word extends or starts.
public enum DidYouMean {
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let limit = max(1, word.count / 3)
        let w = word.lowercased()
        let scored = candidates.map { ($0, distance(w, $0.lowercased())) }.filter { $0.1 <= limit }
        if let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) { return best.0 }
        // A word that extends a candidate or is cut short of one (`batchsize`, `expl`).
        return candidates.filter { c in c.count >= 3 && (w.hasPrefix(c.lowercased()) || (w.count >= 3 && c.lowercased().hasPrefix(w))) }
            .min { $0.count > $1.count || ($0.count == $1.count && $0 < $1) }
    }

    /// " (did you mean `x`?)" or "".
    public static func hint(for word: String, among candidates: [String]) -> String {
        suggestion(for: word, among: candidates).map { "; did you mean `\($0)`?" } ?? ""
    }

    /// Edit distance with adjacent transpositions (optimal string alignment): `frist` is one
    /// edit from `first`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
