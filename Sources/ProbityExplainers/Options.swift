import Foundation
import ProbityCore

/// One option of an explainer: its name, default, allowed values and meaning.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        case int(ClosedRange<Int>)
        case double(ClosedRange<Double>)
        case choice([String])
        case bool
        /// A baseline name (`black`, `zero`, `mean`, `blur`, `noise`) or an image file path.
        case baseline
        /// A node output name, or `auto`.
        case layer
        case text
    }

    public var name: String
    public var defaultValue: String
    public var kind: Kind
    public var help: String

    public init(_ name: String, default value: String, _ kind: Kind, _ help: String) {
        self.name = name; self.defaultValue = value; self.kind = kind; self.help = help
    }

    /// Checks `value`; returns the problem, or nil.
    func problem(with value: String) -> String? {
        switch kind {
        case .int(let r):
            guard let v = Int(value), r.contains(v) else { return "\(name) must be an integer in \(r.lowerBound)…\(r.upperBound), got \(value)" }
        case .double(let r):
            guard let v = Double(value), r.contains(v) else { return "\(name) must be a number in \(r.lowerBound)…\(r.upperBound), got \(value)" }
        case .choice(let values):
            guard values.contains(value) else { return "\(name) must be one of \(values.joined(separator: ", ")), got \(value)" }
        case .bool:
            guard ["true", "false"].contains(value) else { return "\(name) must be true or false, got \(value)" }
        case .baseline:
            guard Baseline.named.contains(value) || value.hasSuffix(".png") else {
                return "\(name) must be one of \(Baseline.named.joined(separator: ", ")) or a .png file, got \(value)"
            }
        case .layer, .text:
            guard !value.isEmpty else { return "\(name) must not be empty" }
        }
        return nil
    }
}

/// Validated options of one explainer: every option has a value (given or default).
public struct Options: Sendable, Equatable {
    public let explainer: String
    public private(set) var values: [String: String]

    /// Resolves `given` against `specs`: an unknown option or a bad value is an error that lists
    /// the valid options with their defaults.
    public init(explainer: String, specs: [OptionSpec], given: [String: String]) throws {
        self.explainer = explainer
        var values: [String: String] = [:]
        let known = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        let listing = specs.isEmpty ? "\(explainer) takes no options"
            : "\(explainer) options: " + specs.map { "\($0.name) (default \($0.defaultValue))" }.joined(separator: ", ")
        for (key, value) in given {
            guard let spec = known[key] else { throw ProbityError.invalidArgument("unknown option \(key) for \(explainer); \(listing)") }
            if let problem = spec.problem(with: value) { throw ProbityError.invalidArgument("\(explainer): \(problem); \(listing)") }
            values[key] = value
        }
        for spec in specs where values[spec.name] == nil { values[spec.name] = spec.defaultValue }
        self.values = values
    }

    /// These options without `keys`, for random streams that must stay the same when an option
    /// that does not change the sampling is added (its id is the id from before the option).
    public func removing(_ keys: String...) -> Options {
        var out = self
        for k in keys { out.values[k] = nil }
        return out
    }

    public func string(_ key: String) -> String { values[key]! }
    public func int(_ key: String) -> Int { Int(values[key]!)! }
    public func double(_ key: String) -> Double { Double(values[key]!)! }
    public func float(_ key: String) -> Float { Float(values[key]!)! }
    public func bool(_ key: String) -> Bool { values[key]! == "true" }

    /// The stable id of explainer + all options (DESIGN.md): `name@k1=v1,k2=v2`, keys sorted,
    /// characters outside [A-Za-z0-9_.=-] escaped as %XX.
    public var id: String {
        if values.isEmpty { return explainer }
        func escape(_ s: String) -> String {
            var out = ""
            for byte in s.utf8 {
                let c = Character(UnicodeScalar(byte))
                if c.isASCII && (c.isLetter || c.isNumber || "_.-".contains(c)) { out.append(c) } else { out += String(format: "%%%02X", byte) }
            }
            return out
        }
        return explainer + "@" + values.keys.sorted().map { "\(escape($0))=\(escape(values[$0]!))" }.joined(separator: ",")
    }

    /// The options as JSON (for the attribution cache's attributes).
    public var json: String {
        let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Parses `key=value` strings.
    public static func parse(_ pairs: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ProbityError.invalidArgument("option \(pair) must be key=value")
            }
            result[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return result
    }
}
