import Foundation
import ProbityExplainers

/// Short names for explainer keys in tables and charts: the method's name, with the options
/// that differ from its defaults as a note (`integrated_gradients` / `baseline=zero, steps=100`),
/// instead of a 60-character id. Two keys with the same name and options that differ get
/// numbered names (`rise#1`, `rise#2`).
public enum ExplainerLabels {
    public struct Label: Sendable, Equatable { public var name: String; public var note: String }

    public static func labels(_ keys: [String]) -> [String: Label] {
        var out: [String: Label] = [:]
        for key in keys {
            let parts = key.split(separator: "@", maxSplits: 1).map(String.init)
            let name = parts[0]
            let given = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
            let defaults = Dictionary(((try? ExplainerRegistry.type(named: name))?.optionSpecs ?? []).map { ($0.name, $0.defaultValue) }, uniquingKeysWith: { a, _ in a })
            let changed = given.compactMap { pair -> String? in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return pair }
                if kv[0] == "seed" { return nil }   // the run's seed, the same for every method
                let value = kv[1].removingPercentEncoding ?? kv[1]
                return defaults[kv[0]] == value ? nil : "\(kv[0])=\(value)"
            }
            out[key] = Label(name: name, note: changed.joined(separator: ", "))
        }
        for name in Set(out.values.map(\.name)) {
            let same = keys.filter { out[$0]!.name == name }
            if same.count > 1 { for (i, k) in same.enumerated() { out[k]!.name = "\(name)#\(i + 1)" } }
        }
        return out
    }
}
