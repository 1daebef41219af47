import ArgumentParser
import ProbityExplainers
import Foundation
import ProbityCore

/// `probity`: the command line. Thin: each subcommand parses, calls the library, prints.
@main
struct Probity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probity",
        abstract: "Score explanation methods for image models against each other.",
        version: ProbityVersion.string,
        subcommands: [DatasetCommand.self, ModelCommand.self, ExplainersCommand.self, ExplainCommand.self, MetricsCommand.self, EvaluateCommand.self, BenchCommand.self]
    )

    /// Bad input exits with status 2 and one line naming the file and the problem.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ProbityError {
            FileHandle.standardError.write(Data("probity: error: \(error)\n".utf8))
            Foundation.exit(2)
        } catch {
            exit(withError: error)
        }
    }
}

enum ProbityVersion {
    static let string = "0.1.0"
}

/// One line of an option listing (`probity explainers`, `probity metrics`): the option with
/// its default, then its help from column 45 (or after two spaces when the default is longer).
func optionLine(_ o: OptionSpec) -> String {
    let head = "    --option \(o.name)=\(o.defaultValue)"
    return (head.count < 44 ? head.padding(toLength: 44, withPad: " ", startingAt: 0) : head + "  ") + o.help
}

/// Prints progress lines on stderr (a bar when it is a terminal), nothing when quiet.
struct Progress {
    var quiet: Bool
    var label: String
    let terminal = isatty(2) != 0

    func update(_ done: Int, _ total: Int) {
        guard !quiet else { return }
        if terminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if done == total || done % Swift.max(1, total / 10) == 0 {
            FileHandle.standardError.write(Data("\(label): \(done)/\(total)\n".utf8))
        }
    }
}

/// JSON output for `--json`: sorted keys so output is stable.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
