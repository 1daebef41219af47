import Foundation
import ProbityCore
import ProbityData
import ProbityExplainers
import ProbityReports

/// The lime_image tutorial as a job (`probity figure lime`): for each sample, LIME explains the
/// top `labels` predicted classes from one set of perturbed images scored once (as
/// `explain_instance(..., top_labels=5)`), and each class gets the tutorial's two pictures — the top `features`
/// superpixels for the class with the rest hidden, and the top 2 × `features` for and against
/// it — outlined as `mark_boundaries` draws them (`LIMEFigure`). Writes PNGs (enlarged by
/// whole pixels to at least 224 px, so small images stay visible) and `index.html`, where the
/// classes of a sample sit side by side.
public struct LIMEFigures {
    public var modelPath: String
    public var datasetPath: String
    public var indices: [Int]
    public var labels = 2
    public var features = 5
    public var options: [String: String] = [:]
    public var seed: UInt64 = 0

    public init(modelPath: String, datasetPath: String, indices: [Int]) {
        self.modelPath = modelPath; self.datasetPath = datasetPath; self.indices = indices
    }

    /// Writes the pictures and `index.html` into `out`; returns the page's path.
    @discardableResult
    public func write(to out: String, progress: ((Int, Int) -> Void)? = nil) throws -> String {
        guard labels >= 1 && labels <= 10 else { throw ProbityError.invalidArgument("--labels must be 1…10, got \(labels)") }
        guard features >= 1 else { throw ProbityError.invalidArgument("--features must be at least 1, got \(features)") }
        let dataset = try Dataset(path: datasetPath)
        let model = try ModelLoading.load(modelPath, for: dataset, maxBatch: 64)
        guard let lime = try ExplainerRegistry.make(LIME.name, options: options) as? LIME else { throw ProbityError.invalidArgument("lime is not registered") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let (h, w) = (dataset.height, dataset.width)
        let zoom = max(1, (224 + w - 1) / w)
        var rows: [LIMEFigurePage.Row] = []
        for (k, sample) in indices.enumerated() {
            let x = try dataset.modelInput(sample..<(sample + 1))
            let probabilities = try model.logits(x).softmaxLastAxis().storage
            let top = LIMEFigures.topClasses(probabilities, labels)
            var pixels = try dataset.pixels(sample..<(sample + 1))
            if dataset.channels == 1 { pixels = pixels.flatMap { [$0, $0, $0] } }
            var panels: [LIMEFigurePage.Panel] = []
            let batch = ExplainBatch(x: x, targets: [top.first!], samples: [sample], seed: seed, preprocessing: dataset.preprocessing)
            let (segments, perClass) = try lime.superpixelWeights(batch, sample: 0, classes: top, model: model)
            for (rank, label) in top.enumerated() {
                let weights = perClass[rank]
                var files: [String] = []
                for (kind, positive, count, hide) in [("positive", true, features, true), ("pros_cons", false, 2 * features, false)] {
                    let (picture, mask) = LIMEFigure.imageAndMask(image: pixels, width: w, height: h, segments: segments.labels, weights: weights,
                                                                  positiveOnly: positive, features: count, hideRest: hide)
                    let marked = LIMEFigure.markBoundaries(picture, labels: mask)
                    let name = "sample\(sample)_top\(rank + 1)_\(kind).png"
                    try PNGImage(width: w, height: h, channels: 3, pixels: marked.bytes).enlarged(by: zoom).write(to: out + "/" + name)
                    files.append(name)
                }
                panels.append(.init(rank: rank + 1, label: label, name: dataset.classNames?[safe: label], probability: Double(probabilities[label]),
                                    positive: files[0], prosCons: files[1], superpixels: segments.count))
            }
            rows.append(.init(sample: sample, trueLabel: dataset.labels[sample], trueName: dataset.classNames?[safe: dataset.labels[sample]], panels: panels))
            progress?(k + 1, indices.count)
        }
        let page = out + "/index.html"
        let html = LIMEFigurePage.html(rows: rows, model: modelPath, dataset: datasetPath, features: features, explainer: lime.id)
        try AtomicFile.write(Data(html.utf8), to: page)
        return page
    }
}

extension LIMEFigures {
    /// The `k` most probable classes, most probable first (ties by class index): the classes
    /// both LIME picture jobs explain.
    static func topClasses(_ probabilities: [Float], _ k: Int) -> [Int] {
        Array(probabilities.indices.sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }.prefix(k))
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
