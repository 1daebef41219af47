import Foundation
import ProbityCore
import ProbityData
import ProbityExplainers
import ProbityReports

/// MATLAB's `imageLIME` workflow as a job (`probity figure imagelime`): for each sample, the
/// top `classes` predicted classes (imageLIME's "golden retriever or labrador?" comparison) are
/// each explained by LIME set up as imageLIME (`defaultLIME`: 100 SLIC superpixels, 6000
/// perturbed images with excluded features replaced by the image's mean color, a regression-tree
/// surrogate whose predictor importance is the map) and, on the same images, by occlusion
/// sensitivity and Grad-CAM (`defaultComparisons`), and every map is drawn as MATLAB draws it:
/// jet at alpha ½ over the image, the color limits the map's own minimum and maximum, with a
/// colour bar (`HeatmapFigure(jet: true)`). LIME scores one set of perturbed images for all the
/// classes of a sample. Writes PNGs and `index.html`, one row per sample and class.
public struct ImageLIMEFigures {
    /// imageLIME's settings in LIME's options (`NumFeatures=100`, `NumSamples=6000`, the
    /// default tree model; superpixels as MATLAB's default `Segmentation="superpixels"`).
    public static let defaultLIME: [String: String] = ["segmentation": "slic", "n_segments": "100", "samples": "6000", "hide": "mean", "surrogate": "tree"]

    /// The explainers beside LIME: occlusion sensitivity with a window a fifth and a stride a
    /// tenth of the image's side, filled with the image's mean color (MATLAB's
    /// `occlusionSensitivity` picks its mask and stride from the input size; these sizes are
    /// Probity's choice, not MATLAB's rule, and Probity's occlusion scores the logit's drop where
    /// MATLAB scores the probability's), and Grad-CAM at its defaults (the last spatial activation).
    public static func defaultComparisons(height h: Int, width w: Int) -> [(name: String, options: [String: String])] {
        let side = min(h, w)
        let window = max(1, Int((0.2 * Double(side)).rounded())), stride = max(1, Int((0.1 * Double(side)).rounded()))
        return [("occlusion", ["window": "\(window)", "stride": "\(min(window, stride))", "baseline": "mean"]), ("gradcam", [:])]
    }

    public var modelPath: String
    public var datasetPath: String
    public var indices: [Int]
    public var classes = 2
    /// LIME options on top of `defaultLIME`.
    public var options: [String: String] = [:]
    /// The explainers beside LIME (nil: `defaultComparisons`).
    public var comparisons: [(name: String, options: [String: String])]?
    public var seed: UInt64 = 0

    public init(modelPath: String, datasetPath: String, indices: [Int]) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.indices = indices
    }

    /// Writes the pictures and `index.html` into `out`; returns the page's path.
    @discardableResult
    public func write(to out: String, progress: ((Int, Int) -> Void)? = nil) throws -> String {
        guard classes >= 1 && classes <= 10 else { throw ProbityError.invalidArgument("--classes must be 1…10, got \(classes)") }
        let dataset = try Dataset(path: datasetPath)
        let model = try ModelLoading.load(modelPath, for: dataset, maxBatch: 64)
        let limeOptions = ImageLIMEFigures.defaultLIME.merging(options) { $1 }
        guard let lime = try ExplainerRegistry.make(LIME.name, options: limeOptions) as? LIME else { throw ProbityError.invalidArgument("lime is not registered") }
        let (h, w, c) = (dataset.height, dataset.width, dataset.channels)
        let others = try (comparisons ?? ImageLIMEFigures.defaultComparisons(height: h, width: w)).map { try ExplainerRegistry.make($0.name, options: $0.options) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var rows: [ImageLIMEFigurePage.Row] = []
        for (k, sample) in indices.enumerated() {
            let x = try dataset.modelInput(sample..<(sample + 1))
            let probabilities = try model.logits(x).softmaxLastAxis().storage
            let top = LIMEFigures.topClasses(probabilities, classes)
            let pixels = try dataset.pixels(sample..<(sample + 1))
            let imageName = "sample\(sample).png"
            let zoom = max(1, (224 + w - 1) / w)
            try PNGImage(width: w, height: h, channels: c, pixels: pixels).enlarged(by: zoom).write(to: out + "/" + imageName)
            let batch = ExplainBatch(x: x, targets: [top[0]], samples: [sample], seed: seed, preprocessing: dataset.preprocessing)
            let (segments, weights) = try lime.superpixelWeights(batch, sample: 0, classes: top, model: model)
            var panels: [ImageLIMEFigurePage.Panel] = []
            for (rank, label) in top.enumerated() {
                var maps: [(method: String, id: String, map: [Float])] = [("LIME", lime.id, lime.map(segments, weights[rank]))]
                for explainer in others {
                    let one = ExplainBatch(x: x, targets: [label], samples: [sample], seed: seed, preprocessing: dataset.preprocessing)
                    maps.append((ImageLIMEFigures.title(type(of: explainer).name), explainer.id, try explainer.explain(one, model: model).maps.storage))
                }
                var figures: [ImageLIMEFigurePage.Figure] = []
                for (j, m) in maps.enumerated() {
                    let figure = HeatmapFigure(map: m.map, pixels: pixels, height: h, width: w, channels: c, signed: false, minimumSize: 224, jet: true)
                    let name = "sample\(sample)_top\(rank + 1)_\(j)_\(ImageLIMEFigures.fileSafe(m.method)).png"
                    try figure.image.write(to: out + "/" + name)
                    figures.append(.init(method: m.method, explainer: m.id, file: name, low: Double(figure.low), high: Double(figure.high)))
                }
                panels.append(.init(rank: rank + 1, label: label, name: dataset.classNames?[safe: label], probability: Double(probabilities[label]), figures: figures))
            }
            rows.append(.init(sample: sample, trueLabel: dataset.labels[sample], trueName: dataset.classNames?[safe: dataset.labels[sample]],
                              image: imageName, superpixels: segments.count, panels: panels))
            progress?(k + 1, indices.count)
        }
        let page = out + "/index.html"
        try AtomicFile.write(Data(ImageLIMEFigurePage.html(rows: rows, model: modelPath, dataset: datasetPath, lime: lime.id).utf8), to: page)
        return page
    }

    /// The heading of an explainer's pictures.
    static func title(_ name: String) -> String {
        ["occlusion": "Occlusion sensitivity", "gradcam": "Grad-CAM", "gradcam_pp": "Grad-CAM++", "layercam": "Layer-CAM", "scorecam": "Score-CAM",
         "saliency": "Gradient", "integrated_gradients": "Integrated Gradients", "rise": "RISE", "kernel_shap": "KernelSHAP", "lime": "LIME"][name] ?? name
    }

    /// A method's label as a file-name part: letters, digits and `-` only.
    static func fileSafe(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }
}
