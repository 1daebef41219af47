import ProbityCore
import ProbityExplainers
import ProbityMetrics

/// Routes metric options given as `key=value` (to every chosen metric that has the key) and
/// `metric.key=value` (to that metric only) — the rule `probity evaluate --option` and a
/// suite's `metric_options` share. A key no chosen metric has is an error that says so.
public enum MetricOptions {
    /// The options of each metric in `names`, in order.
    public static func route(_ given: [String: String], to names: [String]) throws -> [[String: String]] {
        let types = try names.map { try MetricRegistry.type(named: $0) }
        for key in given.keys.sorted() {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            let known = parts.count == 2
                ? types.contains { $0.name == parts[0] && $0.optionSpecs.contains { $0.name == parts[1] } }
                : types.contains { $0.optionSpecs.contains { $0.name == key } }
            if !known {
                throw ProbityError.invalidArgument("option \(key) belongs to none of the metrics \(names.joined(separator: ", ")) (see `probity metrics`)")
            }
        }
        return types.map { t in
            var mine: [String: String] = [:]
            for (key, value) in given where t.optionSpecs.contains(where: { $0.name == key }) { mine[key] = value }
            for (key, value) in given where key.hasPrefix(t.name + ".") { mine[String(key.dropFirst(t.name.count + 1))] = value }
            return mine
        }
    }

    /// The metrics named in `names`, made with their routed options.
    public static func make(_ names: [String], options given: [String: String]) throws -> [any Metric] {
        let routed = try route(given, to: names)
        return try zip(names, routed).map { try MetricRegistry.make($0, options: $1) }
    }
}
