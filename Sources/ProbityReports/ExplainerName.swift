import Foundation

/// What a report shows of an explainer id such as
/// `integrated_gradients@baseline=black,method=gausslegendre,steps=50` (DESIGN.md: the name, `@`,
/// then every option sorted, with characters outside `[A-Za-z0-9_.=-]` escaped as `%XX`).
/// Charts and tables label a method by its short `name`; the options go in a tooltip or a
/// footnote, because a 60-character id as an axis label makes a chart unreadable.
public struct ExplainerName: Sendable, Hashable {
    /// The id as stored in the result files.
    public let id: String
    /// The method's registered name, e.g. `integrated_gradients`.
    public let name: String
    /// The options as `key=value` pairs, unescaped, in the id's (sorted) order.
    public let options: [(key: String, value: String)]

    /// The explainers every method must beat (README: controls).
    public static let controls: Set<String> = ["random", "sobel", "center_gaussian"]

    public init(_ id: String) {
        self.id = id
        let parts = id.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        name = Self.unescape(String(parts[0]))
        guard parts.count == 2, !parts[1].isEmpty else { options = []; return }
        options = parts[1].split(separator: ",").map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.unescape(String(kv[0])), kv.count > 1 ? Self.unescape(String(kv[1])) : "")
        }
    }

    /// Whether this is one of the control explainers (`random`, `sobel`, `center_gaussian`).
    public var isControl: Bool { Self.controls.contains(name) }

    /// The options as one readable line, `baseline=black, method=gausslegendre, steps=50`, or "".
    public var optionText: String { options.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }

    public static func == (a: ExplainerName, b: ExplainerName) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }

    /// Undoes the id's `%XX` escapes (UTF-8 bytes); a malformed escape stays as written.
    static func unescape(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%"), i + 2 < u.count, let b = UInt8(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                bytes.append(b); i += 3
            } else { bytes.append(u[i]); i += 1 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Short labels for `ids`, in order: the name alone when it is unique among them, else the
    /// name with a number (`lime (1)`, `lime (2)`) so two option sets of one method stay apart.
    public static func labels(_ ids: [String]) -> [String: String] {
        let names = ids.map { ExplainerName($0).name }
        var counts: [String: Int] = [:], seen: [String: Int] = [:]
        for n in names { counts[n, default: 0] += 1 }
        var out: [String: String] = [:]
        for (id, n) in zip(ids, names) where out[id] == nil {
            if counts[n]! > 1 { seen[n, default: 0] += 1; out[id] = "\(n) (\(seen[n]!))" } else { out[id] = n }
        }
        return out
    }
}

extension ExplainerName {
    /// Short labels for metric columns: a metric a suite names once is its name; one named twice
    /// has its id as the column (`model_randomization@layers=all,mode=independent`), shown as the
    /// name and only the options that tell the columns apart (`model_randomization (mode=independent)`).
    public static func shortLabels(_ columns: [String]) -> [String: String] {
        let parsed = columns.map(ExplainerName.init)
        var out: [String: String] = [:]
        for p in parsed {
            guard !p.options.isEmpty else { out[p.id] = p.id; continue }
            let siblings = parsed.filter { $0.name == p.name && $0.id != p.id }
            let differing = p.options.filter { o in siblings.contains { s in s.options.first { $0.key == o.key }?.value != o.value } }
            out[p.id] = differing.isEmpty ? p.id : "\(p.name) (\(differing.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))"
        }
        return out
    }
}
