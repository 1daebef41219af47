import ArgumentParser
import Foundation
import ProbityCore
import ProbityExplainers
import ProbityHarness
import ProbityMetrics
import ProbityReports

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "List the metrics with their options, defaults, direction and papers.")
    func run() throws {
        for t in MetricRegistry.all {
            print("\(t.name) (\(t.higherIsBetter ? "higher" : "lower") is better)\n    \(t.summary)")
            for o in t.optionSpecs { print(optionLine(o)) }
        }
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Score the maps of an attribution cache with metrics; writes per_sample.csv, summary.csv, pairwise.csv, reliability.csv, curves.h5 and run.json.")
    @Option(help: "ONNX model.") var model: String
    @Option(help: "Dataset (HDF5).") var dataset: String
    @Option(help: "Attribution cache written by `probity explain`.") var attributions: String
    @Option(help: "Explainer in the cache: its id, or its name when the cache holds one entry of that name (repeatable; default: all).") var explainer: [String] = []
    @Option(help: "Metric name (repeatable; see `probity metrics`).") var metric: [String]
    @Option(name: .customLong("option"), help: "Metric option key=value (repeatable; applies to every metric that has it) or metric.key=value (that metric only).") var options: [String] = []
    @Option(help: "Output directory.") var out: String
    @Option(help: "Class the metrics score: cache (the class each map explains), predicted, label or a class index.") var target: String = "cache"
    @Option(help: "Random seed (substrates, bootstrap).") var seed: UInt64 = 0
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let metrics = try MetricOptions.make(metric, options: try Options.parse(options))
        var run = EvaluateRun(modelPath: model, datasetPath: dataset, attributionsPath: attributions, metrics: metrics, out: out)
        run.explainers = explainer
        run.seed = seed
        run.target = target == "cache" ? nil : try TargetRule(target)
        let outcome = try run.run(progress: ProgressView(quiet: quiet).handler)
        print("\(outcome.rows) scores (\(outcome.scored) computed now) → \(out)/per_sample.csv, summary.csv, pairwise.csv, reliability.csv, curves.h5, run.json")
        // The main rows (per-layer and per-measure variants are in the file).
        print(CSV.line(ResultTables.summaryHeader))
        for r in outcome.summary where r.variant.isEmpty || r.variant == "per_class" { print(CSV.line(ResultTables.summaryFields(r))) }
    }
}
