import Foundation
import XCTest
@testable import probity

/// The cluster examples in deploy/, run for real: a single-node Slurm cluster (started and
/// stopped by the test, on loopback, as root) runs a suite as a three-task job array and a
/// dependent merge job, and the merged tables equal an unsharded run's byte for byte. The
/// Kubernetes manifests parse, and the commands in them parse with probity's own parser.
final class DeployTests: XCTestCase {
    /// In CI a missing prerequisite is a failure, elsewhere a skip.
    func require(_ condition: Bool, _ what: String) throws {
        if condition { return }
        if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("\(what) (CI must run this test; `make setup` installs it)") }
        throw XCTSkip(what)
    }

    func shell(_ script: String, environment: [String: String] = [:]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = CLI.repository
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("probity-sh-\(UUID().uuidString)")
        XCTAssertTrue(FileManager.default.createFile(atPath: out.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
        return CommandResult(status: process.terminationStatus, stdout: text, stderr: text)
    }

    func testSlurmJobArrayAndMergeMatchASingleRun() throws {
        try require(getuid() == 0, "the Slurm test starts daemons as root")
        try require(FileManager.default.fileExists(atPath: "/usr/sbin/slurmctld") && FileManager.default.fileExists(atPath: "/usr/sbin/munged"),
                    "slurm-wlm and munge are not installed")
        let dir = try CLI.scratch()
        let cluster = dir + "/cluster"
        defer { _ = try? shell("deploy/slurm/cluster.sh stop '\(cluster)'") }
        let started = try shell("deploy/slurm/cluster.sh start '\(cluster)'")
        XCTAssertEqual(started.status, 0, started.stdout)
        guard started.status == 0 else { return }
        let suite = try SuiteFixture.make(dir)
        XCTAssertEqual(try CLI.run(["run", suite, "--out", dir + "/single", "--quiet"]).status, 0)
        let submitted = try shell("deploy/slurm/submit.sh --wait '\(suite)' '\(dir)/cluster-run' 3 '\(CLI.binary.path)'",
                                  environment: ["SLURM_CONF": cluster + "/slurm.conf"])
        XCTAssertEqual(submitted.status, 0, submitted.stdout)
        XCTAssertTrue(submitted.stdout.contains("array_job_id="), submitted.stdout)
        for k in 1...3 { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/cluster-run/shards/\(k)/shard.json"), "shard \(k)") }
        try SuiteFixture.assertSameTables(dir + "/single", dir + "/cluster-run")
    }

    func testKubernetesManifestsParseAndTheirCommandsParseWithProbity() throws {
        let r = try CLI.python(try String(contentsOfFile: CLI.repository.path + "/Tests/Scripts/k8s_commands.py", encoding: .utf8),
                               [CLI.repository.path + "/deploy/k8s"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let commands = r.stdout.split(separator: "\n").compactMap { line -> [String]? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["argv"] as? [String]
        }
        XCTAssertEqual(commands.count, 2, r.stdout)
        XCTAssertEqual(commands.first?.prefix(2), ["probity", "run"])
        XCTAssertEqual(commands.last?.prefix(2), ["probity", "merge"])
        for argv in commands {
            XCTAssertEqual(argv.first, "probity")
            XCTAssertNoThrow(try Probity.parseAsRoot(Array(argv.dropFirst())), argv.joined(separator: " "))
        }
        // The parser does refuse what probity refuses (the check above can fail).
        XCTAssertThrowsError(try Probity.parseAsRoot(["run", "/work/suite.yaml", "--shards", "1/3"]))
    }
}
