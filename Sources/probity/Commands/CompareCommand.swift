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
    @Option(help: "What to call the two runs, as NAME_A,NAME_B (say CNN,ViT when they hold two models); default A,B.") var names: String?

    func run() throws {
        var labels = Comparison.Names.letters
        if let names {
            let parts = names.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] != parts[1] else {
                throw ProbityError.invalidArgument("--names wants two different names separated by a comma, as CNN,ViT (got `\(names)`)")
            }
            labels = Comparison.Names(a: parts[0], b: parts[1])
        }
        let compare = Compare(a: try RunResults(directory: a), b: try RunResults(directory: b))
        let rows = try compare.rows(), notes = compare.notes(rows, names: labels)
        if let csv { try AtomicFile.write(Data(Comparison.csv(rows).utf8), to: csv) }
        if let html { try AtomicFile.write(Data(Comparison.html(rows, a: a, b: b, names: labels, notes: notes).utf8), to: html) }
        print(Comparison.text(rows, a: a, b: b, names: labels, notes: notes), terminator: "")
    }
}
