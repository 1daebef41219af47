import Foundation
import XCTest

/// Determinism end to end, as processes (DESIGN.md: "the same config, data and model give
/// byte-identical CSVs on the same machine"; README: shards merge to "tables byte-identical to
/// a single run's"). The suite mixes random explainers (RISE, LIME, the `random`
/// control) with random metrics (noise substrates, ROAD noise, infidelity, faithfulness-
/// correlation subsets, random_logit's class draw and re-runs) and bootstrap intervals, on the
/// committed shapes data and model, with cheap options so each run takes a few seconds. (Every
/// stream, one by one, is held at the library level by ProbityHarnessTests.DeterminismTests.)
final class DeterminismCommandTests: XCTestCase {
    /// Eight held-out shapes; `batch` and `samples` vary per test.
    func makeSuite(_ dir: String, name: String, batch: Int, samples: String = "{split: test, first: 8}") throws -> String {
        let suite = dir + "/" + name + ".yaml"
        try """
        dataset: \(CLI.repository.path)/datasets/shapes.h5
        model: \(CLI.repository.path)/models/shapes_cnn.onnx
        samples: \(samples)
        batch: \(batch)
        seed: 5
        explainers:
          - saliency
          - rise: {masks: 24, cells: 4}
          - lime: {samples: 24, segmentation: slic, n_segments: 12}
          - random
        metrics:
          - deletion: {substrate: noise, step: 512}
          - road_morf: {percent: "20,60"}
          - infidelity: {perturbations: 4}
          - faithfulness_correlation: {runs: 4, substrate: noise}
          - morf: {steps: 6}
          - random_logit
        """.write(toFile: suite, atomically: true, encoding: .utf8)
        return suite
    }

    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(arguments + ["--quiet"])
        XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)", file: file, line: line)
    }

    /// `per_sample.csv` rows by (explainer, metric, variant, sample).
    func rows(_ dir: String) throws -> [String: String] {
        let lines = try String(contentsOfFile: dir + "/per_sample.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        return Dictionary(uniqueKeysWithValues: lines.map { line in
            let f = CLI.csvFields(String(line))
            return (f[0...3].joined(separator: "|"), f[4...].joined(separator: ","))
        })
    }

    /// A sample's scores are the same whatever the batch size, the shard it lands in, or the
    /// other samples selected: a run in batches of 4, one in batches of 3, three shards of the
    /// latter merged, and a run of three of the samples alone.
    func testBatchSizeShardsAndSelectionDoNotChangeASamplesScores() throws {
        let dir = try CLI.scratch()
        try run(["run", try makeSuite(dir, name: "four", batch: 4), "--out", dir + "/four"])
        let three = try makeSuite(dir, name: "three", batch: 3)
        try run(["run", three, "--out", dir + "/three"])
        for k in 1...3 { try run(["run", three, "--shard", "\(k)/3", "--out", dir + "/shards/\(k)"]) }
        try run(["merge", dir + "/shards/1", dir + "/shards/2", dir + "/shards/3", "--out", dir + "/merged"])
        // Same samples, so every table (bootstrap intervals, paired tests, reliability) and
        // every curve is the same too.
        try SuiteFixture.assertSameTables(dir + "/four", dir + "/three")
        try SuiteFixture.assertSameTables(dir + "/four", dir + "/merged")

        // Three of the eight samples, selected by index and explained in one batch together.
        let all = try rows(dir + "/four")
        let samples = Set(all.keys.map { $0.split(separator: "|", omittingEmptySubsequences: false)[3] }).compactMap { Int($0) }.sorted()
        XCTAssertEqual(samples.count, 8)
        let chosen = [samples[1], samples[4], samples[7]]
        try run(["run", try makeSuite(dir, name: "some", batch: 3, samples: "\(chosen)"), "--out", dir + "/some"])
        let some = try rows(dir + "/some")
        XCTAssertEqual(some.count, all.count / 8 * 3)
        for (key, value) in some { XCTAssertEqual(value, all[key], "\(key): another selection changes the score") }
        // Random explainers' rows are among them (so the comparison covers their streams).
        XCTAssertTrue(some.keys.contains { $0.hasPrefix("rise@") && $0.contains("|infidelity|") }, "\(some.keys.sorted().prefix(3))")
    }

    /// Every file a run writes, compared between two runs of the same suite into fresh
    /// folders. Excluded, because they record the wall clock or where the run wrote, not
    /// results: in `run.json` the keys `seconds`, `timings[].seconds`, and `attributions` and
    /// `scores` (paths into the output folder, compared with the folder name replaced); in
    /// the HDF5 files (attribution cache, score store, curves) the `seconds` attributes; in
    /// `report.html` the same provenance rows (run seconds, per-job seconds, the cache path);
    /// `.lock` holds the process id of the run that held the folder. Everything else —
    /// per_sample.csv, summary.csv, pairwise.csv, reliability.csv, summary.md, the charts,
    /// the heatmaps, suite.yaml, every array and attribute of curves.h5 and of the cache's maps
    /// and scores — must be identical.
    func testARerunIntoAFreshFolderReproducesEveryFile() throws {
        let dir = try CLI.scratch()
        let suite = try makeSuite(dir, name: "suite", batch: 4)
        try run(["run", suite, "--out", dir + "/first"])
        try run(["run", suite, "--out", dir + "/second"])
        let check = try CLI.python("""
        import h5py, json, os, re, sys, numpy as np
        a, b = sys.argv[1], sys.argv[2]
        def files(root):
            return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
        names = files(a)
        assert names == files(b), (names, files(b))
        def h5(path):
            out = {}
            with h5py.File(path, 'r') as f:
                def visit(name, obj):
                    attrs = {k: np.asarray(obj.attrs[k]).tolist() for k in obj.attrs if k != 'seconds'}
                    data = obj[()] if isinstance(obj, h5py.Dataset) else None
                    out[name] = (data, attrs, getattr(obj, 'dtype', None))
                visit('/', f)
                f.visititems(visit)
            return out
        def report(path, folder):
            text = open(path, encoding='utf-8').read().replace(folder, 'OUT')
            text = re.sub(r'<tr><th>seconds</th><td><code>[^<]*</code>', '', text)
            return re.sub(r'<td class="num">[^<]*</td>(<td class="num">[0-9]+</td></tr>)', r'\\1', text)
        def record(path, folder):
            r = json.load(open(path))
            del r['seconds']
            for t in r['timings']: del t['seconds']
            r['attributions'] = r['attributions'].replace(folder, 'OUT')
            r['scores'] = r['scores'].replace(folder, 'OUT')
            return r
        compared = 0
        for n in names:
            pa, pb = os.path.join(a, n), os.path.join(b, n)
            if n == '.lock': continue
            if n.endswith('.h5'):
                x, y = h5(pa), h5(pb)
                assert sorted(x) == sorted(y), n
                for k in x:
                    assert x[k][1] == y[k][1], (n, k, 'attributes')
                    assert x[k][2] == y[k][2], (n, k, 'dtype')
                    if x[k][0] is not None:
                        assert np.array_equal(x[k][0], y[k][0], equal_nan=x[k][0].dtype.kind == 'f'), (n, k)
            elif n == 'report.html':
                assert report(pa, a) == report(pb, b), n
            elif n == 'run.json':
                assert record(pa, a) == record(pb, b), n
            else:
                assert open(pa, 'rb').read() == open(pb, 'rb').read(), n
            compared += 1
        print(compared, ' '.join(n for n in names if '/' not in n))
        """, [dir + "/first", dir + "/second"])
        XCTAssertEqual(check.status, 0, check.stderr)
        let out = check.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        // 4 explainers × 5 metrics: charts and heatmaps besides the tables; the top-level files all there.
        XCTAssertGreaterThanOrEqual(Int(out.first ?? "") ?? 0, 30, check.stdout)
        XCTAssertEqual(Set(out.dropFirst()), [".lock", "curves.h5", "pairwise.csv", "per_sample.csv", "reliability.csv", "report.html", "run.json", "suite.yaml", "summary.csv", "summary.md"],
                       check.stdout)
    }
}
