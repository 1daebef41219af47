import Foundation

/// A hand-written SVG document, built element by element. Charts use it so each output is a
/// standalone file (its own `xmlns`, font, white background, `<title>` for screen readers)
/// that drops into a paper or a slide as is, and equally inlines into the HTML report. All text
/// and attribute values pass through `Markup.escape`.
struct SVG {
    let width: Double, height: Double
    private(set) var body: [String] = []
    private var defs: [String] = []

    init(width: Double, height: Double) { self.width = width; self.height = height }

    private static func c(_ v: Double) -> String { Markup.coordinate(v) }

    mutating func add(_ element: String) { body.append(element) }
    mutating func define(_ element: String) { defs.append(element) }

    /// `class` and any extra attributes, escaped.
    private static func attributes(_ cls: String?, _ extra: [(String, String)]) -> String {
        var s = cls.map { " class=\"\(Markup.escape($0))\"" } ?? ""
        for (k, v) in extra { s += " \(k)=\"\(Markup.escape(v))\"" }
        return s
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, cls: String? = nil, extra: [(String, String)] = [], tooltip: String? = nil) {
        let a = Self.attributes(cls, [("fill", fill)] + extra)
        let open = "<rect x=\"\(Self.c(x))\" y=\"\(Self.c(y))\" width=\"\(Self.c(max(0, width)))\" height=\"\(Self.c(max(0, height)))\"\(a)"
        add(tooltip.map { open + "><title>\(Markup.escape($0))</title></rect>" } ?? open + "/>")
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width w: Double = 1, cls: String? = nil, extra: [(String, String)] = []) {
        add("<line x1=\"\(Self.c(x1))\" y1=\"\(Self.c(y1))\" x2=\"\(Self.c(x2))\" y2=\"\(Self.c(y2))\"\(Self.attributes(cls, [("stroke", stroke), ("stroke-width", Self.c(w))] + extra))/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 2, dash: String? = nil, cls: String? = nil, tooltip: String? = nil) {
        let pts = points.map { "\(Self.c($0.0)),\(Self.c($0.1))" }.joined(separator: " ")
        var extra = [("fill", "none"), ("stroke", stroke), ("stroke-width", Self.c(w)), ("stroke-linejoin", "round")]
        if let dash { extra.append(("stroke-dasharray", dash)) }
        let open = "<polyline points=\"\(pts)\"\(Self.attributes(cls, extra))"
        add(tooltip.map { open + "><title>\(Markup.escape($0))</title></polyline>" } ?? open + "/>")
    }

    /// Text at (x, y); `anchor` is start, middle or end; `rotate` in degrees about (x, y).
    mutating func text(_ s: String, x: Double, y: Double, size: Double = 12, anchor: String = "start", weight: String? = nil,
                       fill: String = "#222", rotate: Double? = nil, cls: String? = nil, baseline: String? = nil, tooltip: String? = nil) {
        var extra = [("font-size", Self.c(size)), ("text-anchor", anchor), ("fill", fill)]
        if let weight { extra.append(("font-weight", weight)) }
        if let baseline { extra.append(("dominant-baseline", baseline)) }
        if let rotate { extra.append(("transform", "rotate(\(Self.c(rotate)) \(Self.c(x)) \(Self.c(y)))")) }
        let inner = Markup.escape(s) + (tooltip.map { "<title>\(Markup.escape($0))</title>" } ?? "")
        add("<text x=\"\(Self.c(x))\" y=\"\(Self.c(y))\"\(Self.attributes(cls, extra))>\(inner)</text>")
    }

    /// The whole document; `title` becomes the SVG's accessible name.
    func render(title: String) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.c(width)) \(Self.c(height))\" width=\"\(Self.c(width))\" height=\"\(Self.c(height))\""
        s += " font-family=\"Helvetica, Arial, sans-serif\" role=\"img\">\n<title>\(Markup.escape(title))</title>\n"
        if !defs.isEmpty { s += "<defs>\n" + defs.joined(separator: "\n") + "\n</defs>\n" }
        s += "<rect x=\"0\" y=\"0\" width=\"\(Self.c(width))\" height=\"\(Self.c(height))\" fill=\"#ffffff\"/>\n"
        s += body.joined(separator: "\n") + "\n</svg>\n"
        return s
    }

    /// An approximate width in pixels of `s` at font `size` (Helvetica averages ~0.56 em per
    /// character), used to lay out labels and legends so they do not overlap.
    static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.56 }
}
