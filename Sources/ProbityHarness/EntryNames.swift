import ProbityCore

/// Explainer entries named the way users type them: a full key (`saliency@abs=true`) or a
/// bare name (`saliency`) when the cache holds exactly one entry of that name; an ambiguous
/// name lists the choices, an unknown one lists what the file holds.
public enum EntryNames {
    public static func resolve(_ names: [String], in cache: AttributionCache) throws -> [String] {
        let available = try cache.keys()
        if names.isEmpty {
            guard !available.isEmpty else { throw ProbityError.badFile(cache.path, "holds no attribution maps; run `probity explain` first") }
            return available
        }
        return try names.map { name in
            if available.contains(name) { return name }
            let matches = available.filter { $0 == name || $0.hasPrefix(name + "@") }
            if matches.count == 1 { return matches[0] }
            if matches.isEmpty {
                throw ProbityError.badFile(cache.path, "no maps for explainer \(name); the file holds: \(available.joined(separator: ", "))")
            }
            throw ProbityError.badFile(cache.path, "\(name) is ambiguous; give one of: \(matches.joined(separator: ", "))")
        }
    }
}
