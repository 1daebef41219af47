import Foundation
import ProbityCore

/// A `file,label` CSV (an optional header row `file,label`). Labels are class indices or
/// class names; names are turned into indices in sorted order.
public struct LabelsCSV: Sendable {
    public var labels: [String: String] = [:]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        guard let text = String(data: data, encoding: .utf8) else { throw ProbityError.badFile(path, "not UTF-8 text") }
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ProbityError.badInput(file: path, location: "line \(number + 1)", problem: "expected `file,label`, found `\(line)`")
            }
            if number == 0 && fields[0].lowercased() == "file" && fields[1].lowercased() == "label" { continue }
            labels[fields[0]] = fields[1]
        }
        if labels.isEmpty { throw ProbityError.badFile(path, "no `file,label` rows") }
    }

    /// The label of a file, looked up by its name relative to the import folder, then by its base name.
    public func label(for relativePath: String) -> String? {
        labels[relativePath] ?? labels[(relativePath as NSString).lastPathComponent]
    }
}
