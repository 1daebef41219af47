import Foundation

/// Escaping and number formatting shared by the SVG and HTML writers. Every string that comes
/// from data (explainer ids, metric names, layer names, class names, paths) goes through
/// `escape` before it is put in markup, so a name like `<script>alert(1)</script>` is shown as
/// text and never parsed as a tag or an attribute.
enum Markup {
    /// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references — safe in XML/HTML
    /// text and in quoted attribute values. Control characters other than tab and line breaks
    /// (not allowed in XML 1.0) become U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            default: out.unicodeScalars.append(c.value < 0x20 || c.value == 0x7F ? "\u{FFFD}" : c)
            }
        }
        return out
    }

    /// A number with `digits` significant digits, no exponent for everyday magnitudes, `–`
    /// (an en dash) for NaN: what a reader expects in a table or on an axis.
    static func number(_ v: Double, digits: Int = 3) -> String {
        guard v.isFinite else { return "–" }
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.\(max(0, digits - 1))e", v) }
        let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
        var s = String(format: "%.\(decimals)f", v)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s == "-0" ? "0" : s
    }

    /// A pixel coordinate for SVG attributes: two decimals, trailing zeros dropped.
    static func coordinate(_ v: Double) -> String {
        var s = String(format: "%.2f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }
}
