import Foundation

/// The page of `probity figure imagelime`: one block per sample, the image at the left of one row
/// per explained class (top-1 first), with LIME's map and the other explainers' maps side by side,
/// each drawn as MATLAB draws it (jet at alpha ½, its own colour bar). One file, no scripts, no network.
public enum ImageLIMEFigurePage {
    public struct Figure: Sendable {
        public var method: String, explainer: String, file: String
        public var low: Double, high: Double
        public init(method: String, explainer: String, file: String, low: Double, high: Double) {
            self.method = method; self.explainer = explainer; self.file = file; self.low = low; self.high = high
        }
    }
    public struct Panel: Sendable {
        public var rank: Int, label: Int
        public var name: String?
        public var probability: Double
        public var figures: [Figure]
        public init(rank: Int, label: Int, name: String?, probability: Double, figures: [Figure]) {
            self.rank = rank; self.label = label; self.name = name; self.probability = probability; self.figures = figures
        }
    }
    public struct Row: Sendable {
        public var sample: Int, trueLabel: Int
        public var trueName: String?
        public var image: String
        public var superpixels: Int
        public var panels: [Panel]
        public init(sample: Int, trueLabel: Int, trueName: String?, image: String, superpixels: Int, panels: [Panel]) {
            self.sample = sample; self.trueLabel = trueLabel; self.trueName = trueName; self.image = image; self.superpixels = superpixels; self.panels = panels
        }
    }

    public static func html(rows: [Row], model: String, dataset: String, lime: String) -> String {
        func e(_ s: String) -> String { Markup.escape(s) }
        func cls(_ label: Int, _ name: String?) -> String { name.map { "\(e($0)) (\(label))" } ?? "class \(label)" }
        var h = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>imageLIME explanations</title>
        <style>
        body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:24px clamp(12px,4vw,32px);max-width:1400px}
        h1{font-size:22px;margin:0 0 4px} p.note{color:#555;max-width:900px}
        .sample{margin:26px 0;border-top:1px solid #ddd;padding-top:12px} .sample h2{font-size:15px;margin:0 0 8px}
        .body{display:grid;grid-template-columns:226px 1fr;gap:24px;align-items:start}
        @media (max-width:760px){.body{grid-template-columns:1fr}}
        .cls{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin:0 0 14px}
        .cls h3{font-size:14px;margin:0 0 6px;font-weight:600;flex-basis:100%}
        figure{margin:0;max-width:100%} figcaption{font-size:12px;color:#555;margin-top:3px;max-width:300px}
        img{max-width:100%;height:auto} img.photo{width:224px;border:1px solid #ccc;image-rendering:pixelated}
        code{font-size:12px;word-break:break-all}
        </style></head><body>
        <h1>imageLIME explanations</h1>
        <p class="note">MATLAB's <code>imageLIME</code> workflow: LIME (Ribeiro et al. 2016) with a regression-tree surrogate whose predictor importance scores each superpixel, explained for the top predicted classes from one set of perturbed images, beside occlusion sensitivity (Zeiler &amp; Fergus 2014) and Grad-CAM (Selvaraju et al. 2017) for the same classes. Each map is drawn as <code>imagesc(map, AlphaData=0.5); colormap jet; colorbar</code> draws it: jet at alpha ½ over the image, from the map's own minimum (dark blue) to its maximum (dark red), so colours compare within a picture, not across pictures.</p>
        <p class="note">Model <code>\(e(model))</code>, dataset <code>\(e(dataset))</code>, LIME <code>\(e(lime))</code>.</p>

        """
        for row in rows {
            h += "<div class=\"sample\"><h2>Sample \(row.sample) — label \(cls(row.trueLabel, row.trueName)); \(row.superpixels) superpixels</h2>\n"
            h += "<div class=\"body\"><figure><img class=\"photo\" src=\"\(e(row.image))\" alt=\"sample \(row.sample)\"><figcaption>the image</figcaption></figure><div>\n"
            for p in row.panels {
                h += "<div class=\"cls\"><h3>Top \(p.rank): \(cls(p.label, p.name)), p = \(String(format: "%.3f", p.probability))</h3>"
                for f in p.figures {
                    h += "<figure><img src=\"\(e(f.file))\" alt=\"\(e(f.method)) for \(cls(p.label, p.name))\"><figcaption><b>\(e(f.method))</b> \(Markup.number(f.low)) … \(Markup.number(f.high))</figcaption></figure>"
                }
                h += "</div>\n"
            }
            h += "</div></div></div>\n"
        }
        return h + "</body></html>\n"
    }
}
