import ArgumentParser
import Foundation
import ProbityCore
import ProbityData
import ProbityExplainers
import ProbityHarness

struct ExplainersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explainers", abstract: "List the explainers with their options, defaults and papers.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if json {
            try printJSON(ExplainerRegistry.all.map { t in
                ["name": t.name, "summary": t.summary,
                 "options": t.optionSpecs.map { ["name": $0.name, "default": $0.defaultValue, "help": $0.help] }] as [String: Any]
            })
            return
        }
        for t in ExplainerRegistry.all {
            print("\(t.name)\n    \(t.summary)")
            for o in t.optionSpecs { print(optionLine(o)) }
        }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Attribution maps of one explainer for dataset samples, into an HDF5 attribution cache.",
        discussion: "Maps go to /attributions/<explainer-id> of --out as each sample finishes; a rerun computes only what is missing.")
    @Option(help: "ONNX model.") var model: String
    @Option(help: "Dataset (HDF5).") var dataset: String
    @Option(help: "Explainer name (see `probity explainers`).") var explainer: String?
    @Option(help: "An external explainer program and its arguments (REQUEST.h5 RESPONSE.h5 are appended); implies --explainer external.") var command: String?
    @Option(name: .customLong("option"), help: "Explainer option key=value (repeatable).") var options: [String] = []
    @Option(help: "Samples: all, 0..99, 0..<100 or a list.") var indices: String = "all"
    @Option(help: "Class explained: predicted, label or a class index.") var target: String = "predicted"
    @Option(help: "Attribution cache to write (HDF5).") var out: String
    @Option(help: "Directory for one PNG overlay per sample.") var png: String?
    @Option(help: "Random seed of random methods.") var seed: UInt64 = 0
    @Option(help: "Samples per explainer call.") var batch: Int = 8
    @Flag(help: "Replace an entry made with another model, dataset or target.") var overwrite = false
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "When an external explainer fails on a batch, mark its samples failed and go on (default: stop with its error).") var keepGoing = false

    func run() throws {
        var given = try Options.parse(options)
        if let command { given["command"] = command }
        guard let name = explainer ?? (command != nil ? External.name : nil) else {
            throw ProbityError.invalidArgument("give --explainer NAME (see `probity explainers`) or --command PROGRAM")
        }
        if name == External.name && given["model"] == nil { given["model"] = model }
        let e = try ExplainerRegistry.make(name, options: given)
        let count = try Dataset(path: dataset).count
        var run = ExplainRun(modelPath: model, datasetPath: dataset, explainer: e, indices: try IndexSelection(indices).resolve(count: count), out: out)
        run.target = try TargetRule(target)
        run.png = png
        run.seed = seed
        run.batch = max(1, batch)
        run.overwrite = overwrite
        run.keepGoing = keepGoing
        let summary = try run.run(progress: ProgressView(quiet: quiet).handler)
        for (sample, reason) in summary.failures.prefix(5) { FileHandle.standardError.write(Data("probity: sample \(sample) failed: \(reason)\n".utf8)) }
        if !summary.constant.isEmpty {
            FileHandle.standardError.write(Data("probity: \(summary.constant.count) map\(summary.constant.count == 1 ? " is" : "s are") constant (all one value), e.g. sample\(summary.constant.count == 1 ? "" : "s") \(summary.constant.prefix(5).map(String.init).joined(separator: ", ")); metrics will mark them `constant`\n".utf8))
        }
        if !summary.nonFinite.isEmpty {
            FileHandle.standardError.write(Data("probity: \(summary.nonFinite.count) map\(summary.nonFinite.count == 1 ? "" : "s") hold NaN or Inf, e.g. sample\(summary.nonFinite.count == 1 ? "" : "s") \(summary.nonFinite.prefix(5).map(String.init).joined(separator: ", "))\n".utf8))
        }
        // Interpolation, not String(format: "%@"), which printed "(null)" for a fully reused run on Linux.
        let perSample = summary.computed > 0 ? summary.seconds / Double(summary.computed) : 0
        print("\(summary.id): \(summary.computed) computed, \(summary.reused) reused, \(String(format: "%.2f", summary.seconds)) s (\(String(format: "%.3f", perSample)) s per sample) → \(out)")
    }
}
