import ArgumentParser
import Foundation
import ProbityCore
import ProbityExplainers
import ProbityHarness
import ProbityMetrics

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "List the metrics with their options, defaults, direction and papers.")
    func run() throws {
        for t in MetricRegistry.all {
            print("\(t.name) (\(t.higherIsBetter ? "higher" : "lower") is better)\n    \(t.summary)")
            for o in t.optionSpecs { print("    --option \(o.name)=\(o.defaultValue)".padding(toLength: 44, withPad: " ", startingAt: 0) + o.help) }
        }
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Score the maps of an attribution cache with metrics; writes per_sample.csv, summary.csv and curves.h5.")
    @Option(help: "ONNX model.") var model: String
    @Option(help: "Dataset (HDF5).") var dataset: String
    @Option(help: "Attribution cache written by `probity explain`.") var attributions: String
    @Option(help: "Explainer id in the cache (repeatable; default: all).") var explainer: [String] = []
    @Option(help: "Metric name (repeatable; see `probity metrics`).") var metric: [String]
    @Option(name: .customLong("option"), help: "Metric option key=value (repeatable; applies to every metric that has it).") var options: [String] = []
    @Option(help: "Output directory.") var out: String
    @Option(help: "Random seed (substrates, bootstrap).") var seed: UInt64 = 0
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let given = try Options.parse(options)
        let metrics = try metric.map { name -> any Metric in
            guard let t = MetricRegistry.all.first(where: { $0.name == name }) else {
                throw ProbityError.invalidArgument("unknown metric \(name); available: \(MetricRegistry.all.map { $0.name }.joined(separator: ", "))")
            }
            let known = Set(t.optionSpecs.map(\.name))
            for key in given.keys where !MetricRegistry.all.contains(where: { $0.optionSpecs.contains { $0.name == key } }) {
                throw ProbityError.invalidArgument("unknown option \(key) for \(metric.joined(separator: ", "))")
            }
            return try MetricRegistry.make(name, options: given.filter { known.contains($0.key) })
        }
        var run = EvaluateRun(modelPath: model, datasetPath: dataset, attributionsPath: attributions, metrics: metrics, out: out)
        run.explainers = explainer
        run.seed = seed
        let rows = try run.run(progress: Progress(quiet: quiet, label: "evaluate").update)
        print("\(rows.count) scores → \(out)/per_sample.csv, summary.csv, curves.h5")
        print((try? String(contentsOfFile: out + "/summary.csv", encoding: .utf8)) ?? "")
    }
}
