import Foundation
import XCTest

/// `--help` on the tool and on every command prints the usage on stdout and exits 0; `--version`
/// prints the version. (They once came out as a one-line error with status 2: the errors the
/// argument parser raises for them were taken for failures.) A malformed command line exits 2.
final class HelpCommandTests: XCTestCase {
    func testHelpAndVersionExitZero() throws {
        let commands = ["", "run", "merge", "report", "gate", "compare", "dataset", "dataset synth", "model", "model layers",
                        "explainers", "explain", "metrics", "evaluate", "figure", "bench"]
        for command in commands {
            let arguments = command.split(separator: " ").map(String.init) + ["--help"]
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 0, "probity \(arguments.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE:"), "probity \(arguments.joined(separator: " ")) prints its usage: \(r.stdout.prefix(200))")
            XCTAssertEqual(r.stderr, "", "probity \(arguments.joined(separator: " "))")
        }
        let version = try CLI.run(["--version"])
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertFalse(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        XCTAssertEqual(version.stderr, "")
    }

    /// A malformed command line is bad input like any other: status 2 (not the parser's 64), the
    /// parser's message naming the problem, and the usage.
    func testUsageErrorsExitTwoWithTheProblemAndTheUsage() throws {
        for (arguments, problem) in [(["no-such-command"], "no-such-command"), (["run", "--bogus", "x"], "--bogus"),
                                     (["run"], "Missing expected argument '<suite>'"), (["explain", "--batch", "many"], "many")] {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, "probity \(arguments.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(problem), "probity \(arguments.joined(separator: " ")) names \(problem): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("Usage:"), "probity \(arguments.joined(separator: " ")) shows the usage: \(r.stderr)")
        }
    }
}
