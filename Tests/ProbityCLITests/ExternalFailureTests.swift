import Foundation
import XCTest

/// External explainers that go wrong, as tiny shell scripts: one that exits non-zero, one that
/// hangs (killed at its `timeout` with what it started), one that answers with the wrong shape,
/// one that answers with NaNs. By default each stops the command with status 2 and one line
/// naming the program and the problem; with `--keep-going` (or `keep_going: true` in a suite)
/// the run finishes, the samples are `failed` in per_sample.csv and the report, and the gate
/// fails a rule over them.
final class ExternalFailureTests: XCTestCase {
    /// Response files the scripts copy into place: [n, 64, 64] good maps, a wrong shape, NaNs.
    func responses(_ dir: String, count n: Int) throws {
        let r = try CLI.python("""
        import h5py, sys, numpy as np
        d, n = sys.argv[1], int(sys.argv[2])
        yy, xx = np.mgrid[0:64, 0:64]
        good = np.stack([np.exp(-((xx - 8 * k - 20) ** 2 + (yy - 30) ** 2) / 90.0) for k in range(n)]).astype(np.float32)
        h5py.File(d + '/good.h5', 'w')['attributions'] = good
        h5py.File(d + '/shape.h5', 'w')['attributions'] = np.zeros((n, 32, 32), np.float32)
        nan = good.copy(); nan[0, 5, 5] = np.nan
        h5py.File(d + '/nan.h5', 'w')['attributions'] = nan
        """, [dir, String(n)])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// An executable shell script at `dir/name.sh`; `$2` is the response path.
    func script(_ dir: String, _ name: String, _ body: String) throws -> String {
        let path = dir + "/\(name).sh"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    func shapes(_ dir: String, count: Int) throws -> String {
        let data = dir + "/shapes.h5"
        let r = try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", String(count), "--size", "64", "--seed", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return data
    }

    func testFailuresStopWithOneLineByDefault() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir, count: 4)
        try responses(dir, count: 2)
        let cases: [(script: String, option: String, message: String)] = [
            (try script(dir, "exits", "echo 'cannot load the model' >&2\nexit 3"), "",
             "exits.sh exited with status 3: cannot load the model (on samples 0, 1; --keep-going marks such samples failed and goes on)"),
            (try script(dir, "hangs", "sleep 300 &\necho $! > \(dir)/child.pid\nwait"), "timeout=1",
             "hangs.sh did not finish within its timeout of 1 s and was killed"),
            (try script(dir, "shape", "cp \(dir)/shape.h5 \"$2\""), "",
             "shape.sh: /attributions has shape [2, 32, 32], expected [2, 64, 64]"),
            (try script(dir, "nan", "cp \(dir)/nan.h5 \"$2\""), "",
             "nan.sh: /attributions holds 1 non-finite value (first: nan in the map of sample 0)"),
            (try script(dir, "silent", "exit 0"), "", "silent.sh exited 0 but wrote no response file"),
        ]
        for c in cases {
            let out = dir + "/maps.h5"
            var arguments = ["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                             "--option", "command=\(c.script)", "--indices", "0..1", "--out", out, "--quiet"]
            if !c.option.isEmpty { arguments += ["--option", c.option] }
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, "\(c.script): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("probity: error: external explainer \(c.script)"), r.stderr)
            XCTAssertTrue(r.stderr.contains(c.message), "expected `\(c.message)` in \(r.stderr)")
        }
        // The hung script's child went with it (its process group was killed).
        let child = try XCTUnwrap(Int32(try String(contentsOfFile: dir + "/child.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Killed is gone or a zombie awaiting its new parent's wait (state Z in /proc/PID/stat).
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !stat[close...].hasPrefix(") Z")
        }
        for _ in 0..<100 where running() { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(running(), "the script's `sleep` outlived the timeout")

        // --keep-going: the same failure marks the samples failed and the command succeeds.
        let kept = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                                "--option", "command=\(dir)/nan.sh", "--indices", "0..1", "--out", dir + "/kept.h5", "--quiet", "--keep-going"])
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertTrue(kept.stderr.contains("sample 0 failed: external explainer \(dir)/nan.sh: /attributions holds 1 non-finite value"), kept.stderr)
    }

    /// A suite whose external explainer fails on every batch after its first: without
    /// `--keep-going` the run stops naming it, keeping the first batch; with it the run ends,
    /// the second batch's samples are `failed` in per_sample.csv and the report, and the gate
    /// fails the rule over that explainer (exit 1).
    func testKeepGoingMarksFailuresAndTheGateFailsThem() throws {
        let dir = try CLI.scratch()
        _ = try shapes(dir, count: 8)
        try responses(dir, count: 4)
        let flaky = try script(dir, "flaky", """
        n=$(cat \(dir)/calls 2>/dev/null || echo 0); n=$((n + 1)); echo $n > \(dir)/calls
        if [ $n -ge 2 ]; then echo 'out of memory' >&2; exit 1; fi
        cp \(dir)/good.h5 "$2"
        """)
        func suite(_ name: String, keepGoing: Bool) throws -> String {
            let path = dir + "/\(name).yaml"
            try """
            dataset: shapes.h5
            model: \(CLI.repository.path)/models/shapes_cnn.onnx
            samples: {first: 8}
            batch: 4
            explainers:
              - saliency
              - external: {command: \(flaky)}
            metrics: [deletion, sparseness]
            gate: policy.yaml
            \(keepGoing ? "keep_going: true" : "")
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try "rules:\n  - {explainer: external, metric: sparseness, min: 0}\n  - {explainer: saliency, metric: sparseness, min: 0}\n"
            .write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)

        let stopped = try CLI.run(["run", try suite("plain", keepGoing: false), "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(stopped.status, 2, stopped.stderr)
        XCTAssertEqual(stopped.stderr, "probity: error: external explainer \(flaky) exited with status 1: out of memory (on samples 4, 5, 6, 7; --keep-going marks such samples failed and goes on)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/per_sample.csv"))

        // The same folder with --keep-going: the first batch is reused, the run finishes.
        let kept = try CLI.run(["run", try suite("plain", keepGoing: false), "--out", dir + "/out", "--keep-going"])
        XCTAssertEqual(kept.status, 1, "the gate fails: " + kept.stdout + kept.stderr)
        XCTAssertTrue(kept.stdout.contains("8 samples, 2 explainers: 4 maps computed (12 reused)"), kept.stdout)
        try assertFailedRows(dir + "/out")
        // keep_going in the suite does the same in a fresh folder; the gate's verdict says why.
        try FileManager.default.removeItem(atPath: dir + "/calls")
        let suiteKey = try CLI.run(["run", try suite("keep", keepGoing: true), "--out", dir + "/out2"])
        XCTAssertEqual(suiteKey.status, 1, suiteKey.stdout + suiteKey.stderr)
        XCTAssertTrue(suiteKey.stderr.contains("4 samples failed; their scores are marked `failed`"), suiteKey.stderr)
        XCTAssertTrue(suiteKey.stdout.contains("4 samples failed to explain"), suiteKey.stdout)
        XCTAssertTrue(suiteKey.stdout.contains("gate FAILED: 1 of 2 rules hold"), suiteKey.stdout)
        try assertFailedRows(dir + "/out2")
        let gate = try CLI.run(["gate", "--policy", dir + "/policy.yaml", "--run", dir + "/out2"])
        XCTAssertEqual(gate.status, 1, gate.stdout + gate.stderr)
        // --json judges the suite's gate too (it used to skip it and exit 0).
        let json = try CLI.run(["run", try suite("keep", keepGoing: true), "--out", dir + "/out2", "--json"])
        XCTAssertEqual(json.status, 1, json.stdout + json.stderr)
        let verdict = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["gate"] as? [String: Any], json.stdout)
        XCTAssertEqual(verdict["passed"] as? Bool, false)
        XCTAssertEqual(verdict["failed"] as? Int, 1)
    }

    /// A rerun of a `--keep-going` run explains again the samples the external program failed
    /// on, and only those (the program is called once, for that batch; the other explainer's
    /// maps and every other score are reused); when the program now succeeds, the tables are
    /// byte-identical to those of a run that never failed.
    func testRerunRetriesFailedSamplesAndMatchesARunThatNeverFailed() throws {
        let dir = try CLI.scratch()
        _ = try shapes(dir, count: 8)
        try responses(dir, count: 4)
        // Fails its second call until the file `fixed` exists.
        let flaky = try script(dir, "flaky", """
        n=$(cat \(dir)/calls 2>/dev/null || echo 0); n=$((n + 1)); echo $n > \(dir)/calls
        if [ $n -eq 2 ] && [ ! -e \(dir)/fixed ]; then echo 'out of memory' >&2; exit 1; fi
        cp \(dir)/good.h5 "$2"
        """)
        let suite = dir + "/suite.yaml"
        try """
        dataset: shapes.h5
        model: \(CLI.repository.path)/models/shapes_cnn.onnx
        samples: {first: 8}
        batch: 4
        explainers:
          - saliency
          - external: {command: \(flaky)}
        metrics: [deletion, sparseness]
        """.write(toFile: suite, atomically: true, encoding: .utf8)
        func calls() throws -> String { try String(contentsOfFile: dir + "/calls", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }

        let first = try CLI.run(["run", suite, "--out", dir + "/out", "--keep-going"])
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stderr.contains("4 samples failed"), first.stderr)
        try assertFailedRows(dir + "/out")

        // Fixed: the rerun calls the program once, for the failed batch, and scores only it.
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/fixed", contents: nil))
        let rerun = try CLI.run(["run", suite, "--out", dir + "/out", "--keep-going"])
        XCTAssertEqual(rerun.status, 0, rerun.stdout + rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("8 samples, 2 explainers: 4 maps computed (12 reused), 8 sample scores computed"), rerun.stdout)
        XCTAssertEqual(try calls(), "3")
        let rows = try String(contentsOfFile: dir + "/out/per_sample.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { CLI.csvFields(String($0)) }
        XCTAssertFalse(rows.contains { $0[6] == "failed" }, "no sample is failed any more")

        // Nothing left to retry: a third run computes nothing.
        let again = try CLI.run(["run", suite, "--out", dir + "/out"])
        XCTAssertTrue(again.stdout.contains("0 maps computed (16 reused), 0 sample scores computed"), again.stdout)
        XCTAssertEqual(try calls(), "3")

        // A run that never failed, in a fresh folder: the same tables.
        let clean = try CLI.run(["run", suite, "--out", dir + "/clean"])
        XCTAssertEqual(clean.status, 0, clean.stdout + clean.stderr)
        for table in ["per_sample.csv", "summary.csv", "pairwise.csv", "reliability.csv"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/" + table))
            let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/clean/" + table))
            XCTAssertEqual(a, b, "\(table) differs from the run that never failed")
        }
    }

    /// Samples 4…7 of the external explainer are `failed` on both metrics, 0…3 `ok`; the
    /// report names the failures.
    func assertFailedRows(_ out: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try String(contentsOfFile: out + "/per_sample.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { CLI.csvFields(String($0)) }
        let external = rows.filter { $0[0].hasPrefix("external@") && $0[2].isEmpty }
        XCTAssertEqual(external.count, 16, file: file, line: line)
        for r in external {
            XCTAssertEqual(r[6], Int(r[3])! >= 4 ? "failed" : "ok", "\(r)", file: file, line: line)
        }
        XCTAssertTrue(rows.filter { $0[0].hasPrefix("saliency@") }.allSatisfy { $0[6] == "ok" }, file: file, line: line)
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(report.contains("4 failed"), "the report names the failed samples", file: file, line: line)
    }

    /// A command is run as its words, never through a shell: metacharacters in it are
    /// arguments, not commands.
    func testCommandsAreNotInterpretedByAShell() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir, count: 2)
        let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                             "--option", "command=/bin/echo x;touch \(dir)/pwned;$(touch \(dir)/pwned2)", "--indices", "0", "--out", dir + "/a.h5", "--quiet"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("/bin/echo exited 0 but wrote no response file"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pwned"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pwned2"))
        // No committed suite runs an external program.
        for name in try FileManager.default.contentsOfDirectory(atPath: CLI.repository.path + "/metrics") where name.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: CLI.repository.path + "/metrics/" + name, encoding: .utf8)
            XCTAssertFalse(text.contains("external"), name)
        }
    }
}
