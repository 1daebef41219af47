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
    @Option(help: "Explainer id in the cache (repeatable; default: all).") var explainer: [String] = []
    @Option(help: "Metric name (repeatable; see `probity metrics`).") var metric: [String]
    @Option(name: .customLong("option"), help: "Metric option key=value (repeatable; applies to every metric that has it) or metric.key=value (that metric only).") var options: [String] = []
    @Option(help: "Output directory.") var out: String
    @Option(help: "Class the metrics score: cache (the class each map explains), predicted, label or a class index.") var target: String = "cache"
    @Option(help: "Random seed (substrates, bootstrap).") var seed: UInt64 = 0
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let given = try Options.parse(options)
        let types = try metric.map { name -> any Metric.Type in
            guard let t = MetricRegistry.all.first(where: { $0.name == name }) else {
                throw ProbityError.invalidArgument("unknown metric \(name); available: \(MetricRegistry.all.map { $0.name }.joined(separator: ", "))")
            }
            return t
        }
        // `key=value` goes to every chosen metric that has the key; `metric.key=value` to that metric.
        for key in given.keys {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            let known = parts.count == 2
                ? types.contains { $0.name == parts[0] && $0.optionSpecs.contains { $0.name == parts[1] } }
                : types.contains { $0.optionSpecs.contains { $0.name == key } }
            if !known { throw ProbityError.invalidArgument("option \(key) belongs to none of the metrics \(metric.joined(separator: ", ")) (see `probity metrics`)") }
        }
        let metrics = try types.map { t -> any Metric in
            var mine: [String: String] = [:]
            for (key, value) in given where t.optionSpecs.contains(where: { $0.name == key }) { mine[key] = value }
            for (key, value) in given where key.hasPrefix(t.name + ".") { mine[String(key.dropFirst(t.name.count + 1))] = value }
            return try MetricRegistry.make(t.name, options: mine)
        }
        var run = EvaluateRun(modelPath: model, datasetPath: dataset, attributionsPath: attributions, metrics: metrics, out: out)
        run.explainers = explainer
        run.seed = seed
        run.target = target == "cache" ? nil : try TargetRule(target)
        let outcome = try run.run(progress: Progress(quiet: quiet, label: "evaluate").update)
        print("\(outcome.rows.count) scores → \(out)/per_sample.csv, summary.csv, pairwise.csv, reliability.csv, curves.h5, run.json")
        // The main rows (per-layer and per-measure variants are in the file).
        print(CSV.line(ResultTables.summaryHeader))
        for r in outcome.summary where r.variant.isEmpty || r.variant == "per_class" { print(CSV.line(ResultTables.summaryFields(r))) }
    }
}
