import Foundation
import XCTest

/// `probity run` and `probity merge` end to end, as processes: a run killed with SIGKILL at
/// several points resumes to byte-identical tables and recomputes nothing it had finished;
/// three shards merge to exactly the unsharded result; editing one explainer redoes only it.
final class RunCommandTests: XCTestCase {

    func makeSuite(_ dir: String, explainers: String? = nil) throws -> String { try SuiteFixture.make(dir, explainers: explainers) }

    func assertSameTables(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try SuiteFixture.assertSameTables(a, b, file: file, line: line)
    }

    func json(_ r: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
    }

    /// Whether a journal record (a finished batch) was written in `out` after `date`.
    func newRecord(_ out: String, since date: Date) -> Bool {
        for journal in ["/cache/attributions.h5.journal", "/cache/scores.h5.journal"] {
            let dir = out + journal
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".rec") {
                if let modified = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + name))?[.modificationDate] as? Date, modified > date { return true }
            }
        }
        return false
    }

    /// Finished maps and score jobs in a run folder, read with h5py from the folded files and
    /// the pending journal records (counted by name: one record per batch).
    func progress(_ out: String) throws -> (maps: Int, scoreRecords: Int) {
        let r = try CLI.python("""
        import h5py, sys, os, glob
        out = sys.argv[1]
        maps = 0
        p = out + '/cache/attributions.h5'
        if os.path.exists(p):
            with h5py.File(p, 'r') as f:
                maps = sum(int(f['done'][k][()].sum()) for k in f['done']) if 'done' in f else 0
        pending = len(glob.glob(out + '/cache/attributions.h5.journal/maps-*.rec'))
        scores = len(glob.glob(out + '/cache/scores.h5.journal/scores-*.rec'))
        print(maps, pending, scores)
        """, [out])
        let f = r.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(f.count, 3, r.stderr)
        return (f.count == 3 ? f[0] + f[1] * 4 : 0, f.count == 3 ? f[2] : 0)
    }

    func testKilledRunResumesToIdenticalTablesWithoutRedoingWork() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir)
        let started = Date()
        let full = try CLI.run(["run", suite, "--out", dir + "/full", "--json"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let seconds = Date().timeIntervalSince(started)
        let total = try json(full)
        XCTAssertEqual(total["explained"] as? Int, 3 * 24)
        // Six kills, each once the run has finished new work (a batch record written after it
        // started) plus a random pause, so they land at varied points: explaining, scoring, folding.
        var killed = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["run", suite, "--out", dir + "/killed", "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = Date()
            try process.run()
            let deadline = Date().addingTimeInterval(seconds * 3 + 10)
            while process.isRunning && Date() < deadline && !newRecord(dir + "/killed", since: started) { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.4, using: &generator))
            if process.isRunning { kill(process.processIdentifier, SIGKILL); killed += 1 }
            process.waitUntilExit()
        }
        XCTAssertGreaterThanOrEqual(killed, 5, "the run finished before it could be killed five times")
        let before = try progress(dir + "/killed")
        let resumed = try CLI.run(["run", suite, "--out", dir + "/killed", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let r = try json(resumed)
        // Nothing finished before the last kill is computed again.
        XCTAssertEqual(r["explained"] as? Int, 72 - before.maps)
        XCTAssertEqual(r["explain_reused"] as? Int, before.maps)
        XCTAssertGreaterThan(before.maps, 0)
        try assertSameTables(dir + "/full", dir + "/killed")
        // The run ends with its report.
        let report = try String(contentsOfFile: dir + "/killed/report.html", encoding: .utf8)
        XCTAssertTrue(report.contains("Verdict") && report.contains("gradcam") && !report.contains("<script"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/killed/charts/bars_deletion.svg"))
        // A finished run reruns as a no-op with the same tables.
        let again = try json(try CLI.run(["run", suite, "--out", dir + "/killed", "--json"]))
        XCTAssertEqual(again["explained"] as? Int, 0)
        XCTAssertEqual(again["scored"] as? Int, 0)
        try assertSameTables(dir + "/full", dir + "/killed")
    }

    func testThreeShardsMergeToTheSingleRunAndMergeRefusesPartialResults() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir)
        XCTAssertEqual(try CLI.run(["run", suite, "--out", dir + "/full", "--quiet"]).status, 0)
        var samples: [Int] = []
        for k in 1...3 {
            let r = try CLI.run(["run", suite, "--shard", "\(k)/3", "--out", dir + "/shards/\(k)", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            samples.append(try json(r)["samples"] as? Int ?? 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/shards/\(k)/summary.csv"), "a shard writes no partial tables")
        }
        XCTAssertEqual(samples, [8, 8, 8])   // 6 batches of 4 → 2 per shard
        let merged = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/shards/3", "--out", dir + "/merged", "--quiet"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        try assertSameTables(dir + "/full", dir + "/merged")

        let missing = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/3", "--out", dir + "/m2"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "probity: error: shard 2/3 missing; merge refuses a partial result (rerun the missing shard: it resumes)\n")
        let twice = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/shards/2", dir + "/shards/3", "--out", dir + "/m2"])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("is shard 2/3, and so is \(dir)/shards/2: each shard may be given once"), twice.stderr)
        // Shard 2 run a second time into another folder (a retried job) is caught the same way: its rows are not counted twice.
        try FileManager.default.copyItem(atPath: dir + "/shards/2", toPath: dir + "/retried2")
        let retried = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/shards/3", dir + "/retried2", "--out", dir + "/m2"])
        XCTAssertEqual(retried.status, 2)
        XCTAssertEqual(retried.stderr, "probity: error: \(dir)/retried2: is shard 2/3, and so is \(dir)/shards/2: each shard may be given once\n")
        // An unfinished shard (no shard.json) and a shard of another suite are refused by name.
        try FileManager.default.copyItem(atPath: dir + "/shards/3", toPath: dir + "/unfinished")
        try FileManager.default.removeItem(atPath: dir + "/unfinished/shard.json")
        let unfinished = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/unfinished", "--out", dir + "/m2"])
        XCTAssertEqual(unfinished.status, 2)
        XCTAssertTrue(unfinished.stderr.contains("\(dir)/unfinished/shard.json: missing: the folder is not a finished shard"), unfinished.stderr)
        try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
        let otherSuite = try makeSuite(dir + "/other", explainers: "  - saliency")
        XCTAssertEqual(try CLI.run(["run", otherSuite, "--shard", "3/3", "--out", dir + "/other/s3", "--quiet"]).status, 0)
        let foreign = try CLI.run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/other/s3", "--out", dir + "/m2"])
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.contains("\(dir)/other/s3: belongs to another suite run"), foreign.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m2/summary.csv"))
    }

    func testEditingOneExplainerRecomputesOnlyThatExplainer() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir, explainers: "  - saliency\n  - integrated_gradients: {steps: 4}")
        XCTAssertEqual(try CLI.run(["run", suite, "--out", dir + "/out", "--quiet"]).status, 0)
        let summaryBefore = try String(contentsOfFile: dir + "/out/summary.csv", encoding: .utf8)
        _ = try makeSuite(dir, explainers: "  - saliency\n  - integrated_gradients: {steps: 8}")
        let r = try json(try CLI.run(["run", suite, "--out", dir + "/out", "--json"]))
        XCTAssertEqual(r["explained"] as? Int, 24)          // only the new IG entry
        XCTAssertEqual(r["explain_reused"] as? Int, 24)     // saliency's maps
        XCTAssertEqual(r["scored"] as? Int, 5 * 24)        // five metrics on the new maps only
        let summaryAfter = try String(contentsOfFile: dir + "/out/summary.csv", encoding: .utf8)
        let saliency = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("saliency@") && !$0.contains("mean_rank") } }
        XCTAssertEqual(saliency(summaryBefore), saliency(summaryAfter))
        XCTAssertTrue(summaryAfter.contains("\"integrated_gradients@baseline=black,method=gausslegendre,steps=8\",deletion"))
        XCTAssertFalse(summaryAfter.contains("steps=4"))
    }

    /// A method that refuses the model (attention rollout on a CNN) stops the run with exit 2;
    /// the maps made before it stay, its own empty entry does not.
    func testARefusedMethodStopsTheRunAndLeavesNoEntry() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir, explainers: "  - saliency\n  - attention_rollout")
        let r = try CLI.run(["run", suite, "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("attention rollout needs a ViT-like model"), r.stderr)
        let check = try CLI.python("""
        import h5py, sys
        f = h5py.File(sys.argv[1], 'r')
        print(sorted(f['attributions']), int(f['done']['saliency@abs=true'][:].sum()))
        """, [dir + "/out/cache/attributions.h5"])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "['saliency@abs=true'] 24", check.stderr)
    }

    func testBadSuitesExitTwoWithOneLine() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir)
        var text = try String(contentsOfFile: suite, encoding: .utf8)
        text = text.replacingOccurrences(of: "batch: 4", with: "batchsize: 4")
        try text.write(toFile: suite, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", suite, "--out", dir + "/out"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: \(suite): line 4: unknown key `batchsize`; did you mean `batch`?; a suite takes name, dataset, model, samples, batch, seed, target, metric_target, out, explainers, metrics, metric_options, gate, keep_going\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), "nothing starts before the suite is checked")
        let shard = try CLI.run(["run", try makeSuite(dir), "--shard", "3/2", "--out", dir + "/out"])
        XCTAssertEqual(shard.status, 2)
        XCTAssertEqual(shard.stderr, "probity: error: --shard 3/2: K must be between 1 and N (e.g. --shard 1/4 … 4/4)\n")
        let missing = try CLI.run(["run", dir + "/nope.yaml"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "probity: error: \(dir)/nope.yaml: cannot read the suite file\n")
    }

    /// A second run on the same folder stops at once while the first holds it.
    func testSecondRunOnTheSameFolderIsRefused() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir)
        let first = Process()
        first.executableURL = CLI.binary
        first.arguments = ["run", suite, "--out", dir + "/out", "--quiet"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        var locked = false
        for _ in 0..<100 where !locked { Thread.sleep(forTimeInterval: 0.05); locked = FileManager.default.fileExists(atPath: dir + "/out/.lock") }
        Thread.sleep(forTimeInterval: 0.3)
        let second = try CLI.run(["run", suite, "--out", dir + "/out"])
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(second.status, 2)
        XCTAssertTrue(second.stderr.contains("\(dir)/out: in use by another probity process"), second.stderr)
    }
}
