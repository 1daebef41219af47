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
        subcommands: [LIMEFigureCommand.self])
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
