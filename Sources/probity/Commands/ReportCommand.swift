import ArgumentParser
import Foundation
import ProbityHarness

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the chart report of a run folder: report.html (self-contained), charts/*.svg, heatmaps/*.png.")
    @Argument(help: "Run folder (from `probity run`, `merge` or `evaluate`).") var folder: String

    func run() throws {
        let files = try ReportBuilder(directory: folder).write()
        print("report → \(folder)/report.html (\(files.count) files)")
    }
}
