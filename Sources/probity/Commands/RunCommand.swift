import ArgumentParser
import Foundation
import ProbityCore
import ProbityHarness
import ProbityReports

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an evaluation suite: explain, score, aggregate; resumes where it stopped.",
        discussion: "SUITE.yaml names the dataset, model, explainers, metrics and options (see metrics/README.md). Results go to OUT: per_sample.csv, summary.csv, pairwise.csv, reliability.csv, curves.h5, run.json, and cache/ (maps and scores). Rerunning the same command after an interruption recomputes nothing already done. With --shard K/N the run does part K of N and `probity merge` combines the parts.")
    @Argument(help: "Suite file (YAML).") var suite: String
    @Option(help: "Output folder (default: the suite's `out`, else reports/<suite name>).") var out: String?
    @Option(help: "Run part K of N (K = 1…N), e.g. 2/4; merge the parts with `probity merge`.") var shard: String?
    @Option(help: "Use this dataset instead of the suite's (e.g. a preset on your own data).") var dataset: String?
    @Option(help: "Use this model instead of the suite's (e.g. a release candidate).") var model: String?
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "Print a machine-readable result (paths, counts, timings) on stdout.") var json = false
    @Flag(help: "When an external explainer fails on a batch, mark its samples `failed` (in per_sample.csv, the report and the gate) and go on; default: stop with its error (also `keep_going: true` in the suite).") var keepGoing = false

    func run() throws {
        let spec = try Suite(contentsOf: suite).overriding(dataset: dataset, model: model)
        let job = SuiteRun(suite: spec, out: out, shard: try shard.map { try Shard($0) }, keepGoing: keepGoing)
        let outcome = try job.run(progress: ProgressView(quiet: quiet || json).handler)
        let labels = ExplainerLabels.labels(outcome.explainers).mapValues { (name: $0.name, note: $0.note) }
        if json {
            var result: [String: Any] = [
                "out": outcome.out, "suite": spec.path, "samples": outcome.samples, "explained": outcome.explained,
                "explain_reused": outcome.explainReused, "scored": outcome.scored, "score_jobs_reused": outcome.scoreUnitsReused,
                "rows": outcome.rows, "seconds": outcome.seconds, "explainers": outcome.explainers, "notes": outcome.notes,
                "constant_maps": outcome.constantMaps, "failed_maps": outcome.failedMaps,
            ]
            if let s = job.shard { result["shard"] = s.description; result["files"] = ["shard": outcome.out + "/shard.json"] } else {
                result["files"] = ["per_sample": "per_sample.csv", "summary": "summary.csv", "pairwise": "pairwise.csv", "reliability": "reliability.csv",
                                   "curves": "curves.h5", "run": "run.json", "attributions": "cache/attributions.h5", "scores": "cache/scores.h5",
                                   "report": "report.html"]
                    .mapValues { outcome.out + "/" + $0 }
            }
            // The suite's gate is judged here too (it was skipped with --json), and fails the command the same way.
            let gate = job.shard == nil ? try judgeGate(spec, outcome.out) : nil
            if let gate {
                result["gate"] = ["policy": gate.policy, "passed": gate.passed, "rules": gate.outcomes.count, "failed": gate.failures,
                                  "junit": outcome.out + "/gate.xml", "markdown": outcome.out + "/gate.md"]
            }
            try printJSON(result)
            if let gate, !gate.passed { throw ExitCode(1) }
            return
        }
        for note in outcome.notes { FileHandle.standardError.write(Data("probity: \(note)\n".utf8)) }
        for (key, n) in outcome.constantMaps.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("probity: \(labels[key]?.name ?? key): \(n) map\(n == 1 ? " is" : "s are") constant (all one value); their scores are marked `constant`\n".utf8))
        }
        for (key, n) in outcome.failedMaps.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("probity: \(labels[key]?.name ?? key): \(n) sample\(n == 1 ? "" : "s") failed; their scores are marked `failed`\n".utf8))
        }
        let done = String(format: "%.1f s", outcome.seconds)
        if let s = job.shard {
            print("shard \(s): \(outcome.samples) samples (\(outcome.explained) maps computed, \(outcome.explainReused) reused) in \(done) → \(outcome.out)")
            print("merge the shards with: probity merge <shard folders> --out <folder>")
            return
        }
        print(RankingTable.text(outcome.summary, labels: labels), terminator: "")
        print("\(outcome.samples) samples, \(outcome.explainers.count) explainers: \(outcome.explained) maps computed (\(outcome.explainReused) reused), \(outcome.scored) sample scores computed, in \(done)")
        print("results → \(outcome.out)/ (summary.csv, per_sample.csv, pairwise.csv, reliability.csv, curves.h5, run.json)")
        print("report  → \(outcome.out)/report.html")
        try checkGate(spec, outcome.out)
    }

    /// The suite's `gate:` policy, judged on the run just written (gate.xml and gate.md beside it).
    func judgeGate(_ spec: Suite, _ out: String) throws -> GateResult? {
        guard let policy = spec.gate else { return nil }
        let result = try Gate(policy: try GatePolicy(contentsOf: policy), run: try RunResults(directory: out)).evaluate()
        try AtomicFile.write(Data(result.junit.utf8), to: out + "/gate.xml")
        try AtomicFile.write(Data(result.markdown.utf8), to: out + "/gate.md")
        return result
    }

    /// Prints the gate's verdict; a failed gate exits 1.
    func checkGate(_ spec: Suite, _ out: String) throws {
        guard let result = try judgeGate(spec, out) else { return }
        print(result.text, terminator: "")
        if !result.passed { throw ExitCode(1) }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the folders of `probity run --shard K/N` into one result, identical to an unsharded run's.",
        discussion: "Refuses, naming the folder, when a shard is missing, unfinished, given twice, or from another suite.")
    @Argument(help: "Shard output folders.") var shards: [String] = []
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Print only the result line.") var quiet = false
    @Flag(help: "Print a machine-readable result on stdout.") var json = false

    func run() throws {
        let outcome = try Merge(shards: shards, out: out).run()
        if json {
            try printJSON(["out": out, "shards": outcome.shards, "samples": outcome.samples, "rows": outcome.rows])
            return
        }
        if !quiet {
            let keys = outcome.summary.map(\.explainer).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let labels = ExplainerLabels.labels(keys).mapValues { (name: $0.name, note: $0.note) }
            print(RankingTable.text(outcome.summary, labels: labels), terminator: "")
        }
        print("merged \(outcome.shards) shards, \(outcome.samples) samples → \(out)/ (report: \(out)/report.html)")
    }
}
