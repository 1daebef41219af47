import ArgumentParser
import ProbityExplainers
import Foundation
import ProbityCore
import ProbityHarness

/// `probity`: the command line. Thin: each subcommand parses, calls the library, prints.
@main
struct Probity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probity",
        abstract: "Score explanation methods for image models against each other.",
        version: ProbityVersion.string,
        subcommands: [RunCommand.self, MergeCommand.self, ReportCommand.self, GateCommand.self, CompareCommand.self, DatasetCommand.self, ModelCommand.self, ExplainersCommand.self, ExplainCommand.self, MetricsCommand.self, EvaluateCommand.self, FigureCommand.self, BenchCommand.self]
    )

    /// Bad input exits with status 2 and one line naming the file and the problem. That
    /// includes a `ValidationError` a command throws while it runs (a malformed option value);
    /// errors of the command line itself (an unknown flag, a missing option) exit 2 as well,
    /// with swift-argument-parser's message and the usage (its own status for them is 64). A
    /// message with line breaks (an HDF5 error stack) is folded onto the one line. Status 1 is
    /// kept for a failed gate (`ExitCode(1)`).
    static func main() {
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch {
            // `--help` and `--version` are parse "errors" with status 0: print them as they are.
            if exitCode(for: error).isSuccess { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            try command.run()
        } catch let error as ProbityError {
            fail(error.description)
        } catch let error as ValidationError {
            fail(error.message)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch {
            // `--help` and `--version` reach here as the help command's error: print them, status 0.
            if exitCode(for: error).isSuccess { exit(withError: error) }
            // Any other error is still one line and status 2: status 1 means a failed gate.
            fail(String(describing: error))
        }
    }

    static func fail(_ message: String) -> Never {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        FileHandle.standardError.write(Data("probity: error: \(line)\n".utf8))
        Foundation.exit(2)
    }
}

/// One line of an option listing (`probity explainers`, `probity metrics`): the option with
/// its default, then its help from column 45 (or after two spaces when the default is longer).
func optionLine(_ o: OptionSpec) -> String {
    let head = "    --option \(o.name)=\(o.defaultValue)"
    return (head.count < 44 ? head.padding(toLength: 44, withPad: " ", startingAt: 0) : head + "  ") + o.help
}

/// JSON output for `--json`: sorted keys so output is stable.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
