import Foundation
import XCTest

/// `probity evaluate` end to end: explain with two methods, score with deletion and insertion,
/// check the tidy CSVs and the curves file as h5py reads them.
final class EvaluateCommandTests: XCTestCase {
    func testEvaluateWritesPerSampleSummaryAndCurves() throws {
        let dir = try CLI.scratch()
        let data = dir + "/shapes.h5"
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "6", "--size", "64", "--seed", "1"]).status, 0)
        let attr = dir + "/attr.h5"
        for e in ["gradcam", "random"] {
            let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", e, "--out", attr, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = dir + "/eval"
        let r = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr,
                             "--metric", "deletion", "--metric", "insertion", "--option", "step=256", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let perSample = try String(contentsOfFile: out + "/per_sample.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(perSample.first, "explainer,metric,variant,sample,label,value,status")
        XCTAssertEqual(perSample.count, 1 + 2 * 2 * 6)
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(summary.first, "explainer,metric,variant,mean,ci_low,ci_high,n,rank,higher_is_better")
        XCTAssertEqual(summary.count, 5)
        for line in summary.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let (mean, low, high) = (Double(f[3])!, Double(f[4])!, Double(f[5])!)
            XCTAssert(low <= mean && mean <= high, String(line))
            XCTAssertEqual(f[6], "6")
            XCTAssertEqual(f[8], f[1] == "insertion" ? "true" : "false")
        }
        // The curves: 64·64 / 256 = 16 steps → 17 points, the first unperturbed (probability of the class explained).
        let check = try CLI.python("""
        import h5py, sys
        f = h5py.File(sys.argv[1], 'r')
        c = f['curves/deletion/gradcam@layer=auto']
        print(c.shape, bool((c[:, 0] > 0).all()), sorted(f['curves']))
        """, [out + "/curves.h5"])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "(6, 17) True ['deletion', 'insertion']", check.stderr)
        // Same inputs, same seed: byte-identical CSVs.
        let again = dir + "/eval2"
        XCTAssertEqual(try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr,
                                    "--metric", "deletion", "--metric", "insertion", "--option", "step=256", "--out", again, "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.csv")), try Data(contentsOf: URL(fileURLWithPath: again + "/summary.csv")))
        let bad = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr,
                               "--metric", "deletion", "--explainer", "nope", "--out", out])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.stderr.contains("no maps for explainer nope") && bad.stderr.contains("gradcam@layer=auto"), bad.stderr)
    }
}
