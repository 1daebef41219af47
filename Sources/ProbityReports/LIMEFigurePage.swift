import Foundation

/// The page of `probity figure lime`: one row per sample, one column per explained class (top-1
/// first), each with the tutorial's two pictures. One file, no scripts, no network.
public enum LIMEFigurePage {
    public struct Panel: Sendable {
        public var rank: Int, label: Int
        public var name: String?
        public var probability: Double
        public var positive: String, prosCons: String
        public var superpixels: Int
        public init(rank: Int, label: Int, name: String?, probability: Double, positive: String, prosCons: String, superpixels: Int) {
            self.rank = rank; self.label = label; self.name = name; self.probability = probability
            self.positive = positive; self.prosCons = prosCons; self.superpixels = superpixels
        }
    }
    public struct Row: Sendable {
        public var sample: Int, trueLabel: Int
        public var trueName: String?
        public var panels: [Panel]
        public init(sample: Int, trueLabel: Int, trueName: String?, panels: [Panel]) {
            self.sample = sample; self.trueLabel = trueLabel; self.trueName = trueName; self.panels = panels
        }
    }

    public static func html(rows: [Row], model: String, dataset: String, features: Int, explainer: String) -> String {
        func e(_ s: String) -> String { Markup.escape(s) }
        func cls(_ label: Int, _ name: String?) -> String { name.map { "\(e($0)) (\(label))" } ?? "class \(label)" }
        var h = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>LIME explanations</title>
        <style>
        body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:24px clamp(12px,4vw,32px);max-width:1400px}
        h1{font-size:22px;margin:0 0 4px} p.note{color:#555;max-width:900px}
        .row{margin:22px 0;border-top:1px solid #ddd;padding-top:12px} .row h2{font-size:15px;margin:0 0 8px}
        .panels{display:flex;flex-wrap:wrap;gap:28px} .panel{display:flex;flex-direction:column}
        .panel h3{font-size:14px;margin:0 0 6px;font-weight:600} .pair{display:flex;flex-wrap:wrap;gap:8px}
        figure{margin:0} figcaption{font-size:12px;color:#555;margin-top:3px} img{image-rendering:pixelated;width:224px;max-width:100%;height:auto;border:1px solid #ccc}
        code{font-size:12px;word-break:break-all}
        </style></head><body>
        <h1>LIME explanations</h1>
        <p class="note">As the <code>lime_image</code> tutorial draws them (Ribeiro et al. 2016): for each of the top predicted classes, left the \(features) superpixels that most support the class with the rest hidden, right the \(2 * features) strongest superpixels for (green) and against (red) it; yellow outlines are scikit-image's <code>mark_boundaries</code>. The classes of one image are explained from the same perturbed images, so they can be compared side by side.</p>
        <p class="note">Model <code>\(e(model))</code>, dataset <code>\(e(dataset))</code>, explainer <code>\(e(explainer))</code>.</p>

        """
        for row in rows {
            h += "<div class=\"row\"><h2>Sample \(row.sample) — label \(cls(row.trueLabel, row.trueName))</h2><div class=\"panels\">\n"
            for p in row.panels {
                h += "<div class=\"panel\"><h3>Top \(p.rank): \(cls(p.label, p.name)), p = \(String(format: "%.3f", p.probability))</h3><div class=\"pair\">"
                h += "<figure><img src=\"\(e(p.positive))\" alt=\"superpixels for \(cls(p.label, p.name))\"><figcaption>for the class, rest hidden</figcaption></figure>"
                h += "<figure><img src=\"\(e(p.prosCons))\" alt=\"superpixels for and against \(cls(p.label, p.name))\"><figcaption>for (green) and against (red); \(p.superpixels) superpixels</figcaption></figure>"
                h += "</div></div>\n"
            }
            h += "</div></div>\n"
        }
        return h + "</body></html>\n"
    }
}
