import ArgumentParser
import Foundation
import ProbityCore
import ProbityHarness
import ProbityReports

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "What changed between two runs, per explainer and metric, with paired tests on the shared samples.")
    @Argument(help: "Run folder A (before).") var a: String
    @Argument(help: "Run folder B (after).") var b: String
    @Option(help: "Write the table as CSV here.") var csv: String?
    @Option(help: "Write the table as a self-contained HTML page here.") var html: String?

    func run() throws {
        let rows = try Compare(a: try RunResults(directory: a), b: try RunResults(directory: b)).rows()
        if let csv { try AtomicFile.write(Data(Comparison.csv(rows).utf8), to: csv) }
        if let html { try AtomicFile.write(Data(Comparison.html(rows, a: a, b: b).utf8), to: html) }
        print(Comparison.text(rows, a: a, b: b), terminator: "")
    }
}
