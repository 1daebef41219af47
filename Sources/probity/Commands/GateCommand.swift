import ArgumentParser
import Foundation
import ProbityCore
import ProbityHarness
import ProbityReports

struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check a run against a release-gate policy: exit 0 pass, 1 a rule failed, 2 bad input.",
        discussion: "Rules bound a score (min/max on the mean) or limit its regression against a baseline run (max_drop, judged by a paired Wilcoxon test on the shared samples). Missing or failed scores fail a rule. See metrics/release-gate.yaml.")
    @Option(help: "Gate policy (YAML).") var policy: String
    @Option(name: .customLong("run"), help: "Run folder to judge (from `probity run`, `merge` or `evaluate`).") var folder: String
    @Option(help: "Baseline run folder, for max_drop rules.") var baseline: String?
    @Option(help: "Write JUnit XML here (for CI test reports).") var junit: String?
    @Option(help: "Write a Markdown summary here (for a pull-request comment).") var markdown: String?
    @Flag(help: "Print nothing; the exit status says it.") var quiet = false

    func run() throws {
        let result = try Gate(policy: try GatePolicy(contentsOf: policy), run: try RunResults(directory: folder),
                              baseline: try baseline.map { try RunResults(directory: $0) }).evaluate()
        if let junit { try AtomicFile.write(Data(result.junit.utf8), to: junit) }
        if let markdown { try AtomicFile.write(Data(result.markdown.utf8), to: markdown) }
        if !quiet { print(result.text, terminator: "") }
        if !result.passed { throw ExitCode(1) }
    }
}
