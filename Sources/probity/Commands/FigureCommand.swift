import ArgumentParser
import Foundation
import ProbityCore
import ProbityData
import ProbityExplainers
import ProbityHarness

struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Method-specific pictures beyond heat maps.",
        subcommands: [LIMEFigureCommand.self, ImageLIMEFigureCommand.self])
}

struct LIMEFigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lime",
        abstract: "The lime_image tutorial's pictures for the top predicted classes, side by side, in OUT/index.html.",
        discussion: "Per sample and class: the top --features superpixels for the class with the rest hidden, and the top 2 × --features for (green) and against (red) it, outlined as scikit-image's mark_boundaries. LIME options as `probity explainers` lists them (--option samples=1000, segmentation=quickshift, …).")
    @Option(help: "ONNX model.") var model: String
    @Option(help: "Dataset (HDF5).") var dataset: String
    @Option(help: "Samples: all, 0..3, 0..<4 or a list.") var indices: String = "0..3"
    @Option(help: "How many of the top predicted classes to explain.") var labels: Int = 2
    @Option(help: "Superpixels shown for the class (twice as many for and against).") var features: Int = 5
    @Option(name: .customLong("option"), help: "LIME option key=value (repeatable).") var options: [String] = []
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Output folder.") var out: String
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let count = try Dataset(path: dataset).count
        var job = LIMEFigures(modelPath: model, datasetPath: dataset, indices: try IndexSelection(indices).resolve(count: count))
        job.labels = labels
        job.features = features
        job.options = try Options.parse(options)
        job.seed = seed
        let page = try job.write(to: out, progress: ProgressView(quiet: quiet).counter("lime"))
        print("LIME pictures for \(job.indices.count) sample\(job.indices.count == 1 ? "" : "s") × \(labels) class\(labels == 1 ? "" : "es") → \(page)")
    }
}

struct ImageLIMEFigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagelime",
        abstract: "MATLAB's imageLIME workflow: LIME with a regression tree for the top predicted classes, beside occlusion and Grad-CAM, as jet overlays with colour bars, in OUT/index.html.",
        discussion: "LIME as imageLIME sets it up (100 SLIC superpixels, 6000 samples, hidden superpixels filled with the image's mean, a regression-tree surrogate); change it with --option (e.g. segmentation=grid cells=10, surrogate=lasso). --compare replaces the explainers shown beside LIME: NAME or NAME:key=value,key=value (repeatable).")
    @Option(help: "ONNX model.") var model: String
    @Option(help: "Dataset (HDF5).") var dataset: String
    @Option(help: "Samples: all, 0..3, 0..<4 or a list.") var indices: String = "0..3"
    @Option(help: "How many of the top predicted classes to explain.") var classes: Int = 2
    @Option(name: .customLong("option"), help: "LIME option key=value (repeatable).") var options: [String] = []
    @Option(name: .customLong("compare"), help: "Explainer beside LIME, NAME[:key=value,...] (repeatable; default occlusion and gradcam).") var compare: [String] = []
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Output folder.") var out: String
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let count = try Dataset(path: dataset).count
        var job = ImageLIMEFigures(modelPath: model, datasetPath: dataset, indices: try IndexSelection(indices).resolve(count: count))
        job.classes = classes
        job.options = try Options.parse(options)
        if !compare.isEmpty {
            job.comparisons = try compare.map { spec in
                let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                return (parts[0], try Options.parse(parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []))
            }
        }
        job.seed = seed
        let page = try job.write(to: out, progress: ProgressView(quiet: quiet).counter("imagelime"))
        print("imageLIME pictures for \(job.indices.count) sample\(job.indices.count == 1 ? "" : "s") × \(classes) class\(classes == 1 ? "" : "es") → \(page)")
    }
}
