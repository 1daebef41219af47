import Foundation

/// RFC 4180 CSV as Probity writes it: fields quoted only when they hold a comma, a quote or a
/// line break; numbers in Swift's shortest round-trip form, `nan` for anything not finite, so
/// a rerun gives byte-identical files and pandas reads them with no options.
///
/// A field that starts with `=`, `+`, `-`, `@`, a tab or a carriage return and is not a number
/// is prefixed with a `'` (OWASP's CSV-injection advice), so a class or explainer name taken
/// from data never becomes a formula when a spreadsheet opens the file. pandas reads the `'` as
/// part of the text; numbers (`-0.25`, `+1e-3`) are left as they are.
public enum CSV {
    /// One field, quoted where needed.
    public static func field(_ s: String) -> String {
        var s = s
        if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(s) == nil { s = "'" + s }
        return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A number: shortest round-trip form, `nan` when not finite.
    public static func number(_ v: Double) -> String { v.isFinite ? String(v) : "nan" }
    public static func number(_ v: Float) -> String { v.isFinite ? String(v) : "nan" }

    /// One line of `fields`, without the newline.
    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") }

    /// The whole text: the header, then one line per row, each ending in a newline.
    public static func text(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { line($0) + "\n" }.joined()
    }

    /// Parses CSV text as `text(header:rows:)` writes it (quoted fields, doubled quotes, line
    /// breaks inside quotes) into rows of fields; the header is the first row.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, atFieldStart = true
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if quoted {
                if c == "\"" {
                    if it.first == "\"" { field.unicodeScalars.append("\""); it.removeFirst() } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"" where atFieldStart: quoted = true; atFieldStart = false
            case ",": row.append(field); field = ""; atFieldStart = true
            case "\n":
                row.append(field); rows.append(row); row = []; field = ""; atFieldStart = true
            case "\r": continue
            default: field.unicodeScalars.append(c); atFieldStart = false
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
