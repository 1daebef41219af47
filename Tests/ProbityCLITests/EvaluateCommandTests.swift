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
        XCTAssertEqual(summary.count, 1 + 2 * 2 + 2)                          // + a mean_rank row per explainer
        for line in summary.dropFirst() where !line.contains("mean_rank") {
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
        // run.json: hashes, options, seed and a timing per explainer and metric.
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as! [String: Any]
        XCTAssertEqual((run["model"] as! [String: Any])["sha256"] as? String, try CLI.python("""
        import hashlib, sys
        print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())
        """, [CLI.repository.appendingPathComponent("models/shapes_cnn.onnx").path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(run["metrics"] as? [String], ["deletion@score=probability,sign=signed,step=256,substrate=zero", "insertion@score=probability,sign=signed,step=256,substrate=blur"])
        XCTAssertEqual((run["timings"] as? [Any])?.count, 4)
        XCTAssertEqual(run["seed"] as? Int, 0)
        // Same inputs, same seed: byte-identical CSVs.
        let again = dir + "/eval2"
        XCTAssertEqual(try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr,
                                    "--metric", "deletion", "--metric", "insertion", "--option", "step=256", "--out", again, "--quiet"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.csv")), try Data(contentsOf: URL(fileURLWithPath: again + "/summary.csv")))
        // `--target 3` scores class 3's probability instead of the class each map explains.
        let fixed = dir + "/eval3"
        XCTAssertEqual(try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr, "--target", "3",
                                    "--metric", "deletion", "--option", "step=256", "--out", fixed, "--quiet"]).status, 0)
        let check3 = try CLI.python("""
        import h5py, sys
        a = h5py.File(sys.argv[1], 'r')['curves/deletion/random@seed=0'][:]; b = h5py.File(sys.argv[2], 'r')['curves/deletion/random@seed=0'][:]
        print(bool((a[:, 0] > 0.5).all()), bool(((b[:, 0] > 0.5) == (a[:, 0] == b[:, 0])).all()), bool((a != b).any()))
        """, [out + "/curves.h5", fixed + "/curves.h5"])
        XCTAssertEqual(check3.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "True True True", check3.stderr)
        let bad = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr,
                               "--metric", "deletion", "--explainer", "nope", "--out", out])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.stderr.contains("no maps for explainer nope") && bad.stderr.contains("gradcam@layer=auto"), bad.stderr)
    }

    /// Every metric on the shapes model: ground truth from the dataset's masks, sanity checks
    /// that re-run the explainers (a model-blind control must fail them), the statistics files.
    func testEveryMetricRunsOnTheShapesModel() throws {
        let dir = try CLI.scratch()
        let data = dir + "/shapes.h5"
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "5", "--size", "64", "--seed", "2"]).status, 0)
        let attr = dir + "/attr.h5"
        for e in ["saliency", "sobel", "gradcam"] {
            let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", e, "--out", attr, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = dir + "/eval"
        let list = try CLI.run(["metrics"])
        let names = list.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(names.count, 18, list.stdout)
        var args = ["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr, "--out", out, "--quiet",
                    "--option", "model_randomization.layers=2", "--option", "max_sensitivity.samples=3", "--option", "faithfulness_correlation.runs=20",
                    "--option", "infidelity.perturbations=8", "--option", "deletion.step=256", "--option", "insertion.step=256", "--option", "steps=20"]
        for n in names { args += ["--metric", n] }
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let perSample = try String(contentsOfFile: out + "/per_sample.csv", encoding: .utf8)
        for n in names { XCTAssert(perSample.contains(",\(n),"), n) }
        XCTAssert(perSample.contains(",pointing_game,energy,"))
        XCTAssert(perSample.contains(",model_randomization,logits/ssim,"))
        // Sobel edges do not look at the model: every randomization leaves them unchanged.
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        func mean(_ explainer: String, _ metric: String, _ variant: String = "") -> Double? {
            summary.lazy.map { CLI.csvFields($0) }.first { $0[0] == explainer && $0[1] == metric && $0[2] == variant }.flatMap { Double($0[3]) }
        }
        XCTAssertEqual(mean("sobel", "model_randomization")!, 1, accuracy: 1e-6)
        XCTAssertEqual(mean("sobel", "data_randomization")!, 1, accuracy: 1e-6)
        XCTAssertEqual(mean("sobel", "random_logit")!, 1, accuracy: 1e-6)
        XCTAssertLessThan(mean("saliency@abs=true", "model_randomization")!, 0.9)
        XCTAssertNotNil(mean("gradcam@layer=auto", "pointing_game", "per_class"))
        XCTAssertNotNil(mean("saliency@abs=true", "mean_rank"))
        let pairwise = try String(contentsOfFile: out + "/pairwise.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(pairwise.first, "metric,variant,explainer_a,explainer_b,n,mean_difference,statistic,p_value,p_holm,better")
        XCTAssert(pairwise.contains { $0.hasPrefix("deletion,,gradcam@layer=auto,saliency@abs=true,5,") })
        let reliability = try String(contentsOfFile: out + "/reliability.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(reliability.first, "kind,metric,variant,other_metric,other_variant,value,n")
        XCTAssert(reliability.contains { $0.hasPrefix("inter_rater,deletion,,,,") })
        XCTAssert(reliability.contains { $0.hasPrefix("inter_method,deletion,,insertion,,") })
        // Ground truth is needed: a dataset without masks or boxes is refused, naming the file.
        let plain = dir + "/plain.h5"
        let py = try CLI.python("""
        import h5py, sys
        src = h5py.File(sys.argv[1], 'r'); dst = h5py.File(sys.argv[2], 'w')
        for k in ('images', 'labels'): src.copy(k, dst)
        for k, v in src.attrs.items(): dst.attrs[k] = v
        for k in ('class_names',):
            if k in src: src.copy(k, dst)
        """, [data, plain])
        XCTAssertEqual(py.status, 0, py.stderr)
        let bad = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", plain, "--attributions", attr, "--metric", "pointing_game", "--out", dir + "/bad"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.stderr.contains("plain.h5") && bad.stderr.contains("pointing_game need ground truth"), bad.stderr)
        // A metric that refuses its input part-way (a twin of another shape): exit 2, naming the file, and the
        // scores computed before it are written.
        let partial = dir + "/partial"
        let refused = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--attributions", attr, "--metric", "sparseness",
                                   "--metric", "data_randomization", "--option", "shuffled_model=models/efficientnet_lite0.onnx", "--out", partial, "--quiet"])
        XCTAssertEqual(refused.status, 2)
        XCTAssert(refused.stderr.contains("efficientnet_lite0.onnx") && refused.stderr.contains("input shape"), refused.stderr)
        XCTAssert(try String(contentsOfFile: partial + "/per_sample.csv", encoding: .utf8).contains(",sparseness,,0,"))
        // Boxes only: each shape's tight box holds its mask, so relevance mass can only grow.
        let boxed = dir + "/boxed.h5"
        try FileManager.default.copyItem(atPath: plain, toPath: boxed)
        let pyb = try CLI.python("""
        import h5py, sys
        src = h5py.File(sys.argv[1], 'r'); dst = h5py.File(sys.argv[2], 'a')
        for k in ('boxes', 'box_sample', 'box_label'): src.copy(k, dst)
        """, [data, boxed])
        XCTAssertEqual(pyb.status, 0, pyb.stderr)
        // The cache's maps were made on another file (its SHA-256 differs): refused, as `explain` would.
        let other = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", boxed, "--attributions", attr,
                                 "--metric", "relevance_mass", "--out", dir + "/boxed_eval"])
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("was made with another dataset (SHA-256 ") && other.stderr.contains("explain again with this model and dataset"), other.stderr)
        // The same images explained again give the same maps.
        let boxedAttr = dir + "/boxed_attr.h5"
        for e in ["saliency", "gradcam"] {
            XCTAssertEqual(try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", boxed, "--explainer", e, "--out", boxedAttr, "--quiet"]).status, 0)
        }
        let r2 = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", boxed, "--attributions", boxedAttr,
                              "--metric", "relevance_mass", "--out", dir + "/boxed_eval", "--quiet"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let boxedSummary = try String(contentsOfFile: dir + "/boxed_eval/summary.csv", encoding: .utf8).split(separator: "\n").map { CLI.csvFields(String($0)) }
        for e in ["saliency@abs=true", "gradcam@layer=auto"] {
            let inBoxes = boxedSummary.first { $0[0] == e && $0[1] == "relevance_mass" }.flatMap { Double($0[3]) }!
            XCTAssertGreaterThanOrEqual(inBoxes, mean(e, "relevance_mass")!, e)
            XCTAssertLessThanOrEqual(inBoxes, 1)
        }
    }

    /// The photos with Lite0, reduced for CI (one photo, fewer frames and steps): every metric
    /// that needs no ground truth runs on a real ImageNet model, and the sanity checks tell a
    /// model-blind control from saliency.
    func testMetricsRunOnAPhotoWithLite0() throws {
        let dir = try CLI.scratch()
        let attr = dir + "/attr.h5"
        for e in ["saliency", "sobel"] {
            let r = try CLI.run(["explain", "--model", "models/efficientnet_lite0.onnx", "--dataset", "datasets/photos.h5", "--indices", "2",
                                 "--explainer", e, "--out", attr, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        var args = ["evaluate", "--model", "models/efficientnet_lite0.onnx", "--dataset", "datasets/photos.h5", "--attributions", attr,
                    "--out", dir + "/eval", "--quiet", "--option", "step=7168", "--option", "steps=8", "--option", "percent=30,60",
                    "--option", "runs=8", "--option", "perturbations=8", "--option", "samples=2", "--option", "layers=2"]
        for m in ["deletion", "insertion", "morf", "lerf", "road_morf", "road_lerf", "faithfulness_correlation", "infidelity",
                  "max_sensitivity", "random_logit", "model_randomization", "sparseness", "complexity"] { args += ["--metric", m] }
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try String(contentsOfFile: dir + "/eval/summary.csv", encoding: .utf8).split(separator: "\n").map { CLI.csvFields(String($0)) }
        func mean(_ explainer: String, _ metric: String) -> Double? { summary.first { $0[0] == explainer && $0[1] == metric && $0[2] == "" }.flatMap { Double($0[3]) } }
        XCTAssertEqual(mean("sobel", "model_randomization")!, 1, accuracy: 1e-6)
        XCTAssertEqual(mean("sobel", "random_logit")!, 1, accuracy: 1e-6)
        XCTAssertLessThan(mean("saliency@abs=true", "model_randomization")!, 0.5)
        // Removing the most salient pixels hurts more than removing random edges.
        XCTAssertLessThan(mean("saliency@abs=true", "deletion")!, mean("sobel", "deletion")!)
        let perSample = try String(contentsOfFile: dir + "/eval/per_sample.csv", encoding: .utf8)
        XCTAssertFalse(perSample.contains(",nan\n") || perSample.contains(",failed\n"), perSample)
    }
}

/// `probity evaluate` keeps its scores in OUT/scores.h5: a rerun scores nothing again and
/// writes the same tables; a new metric scores only that metric.
final class EvaluateResumeTests: XCTestCase {
    func testEvaluateResumes() throws {
        let dir = try CLI.scratch()
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/s.h5", "--count", "8", "--size", "64", "--seed", "4"]).status, 0)
        for e in ["saliency", "gradcam"] {
            XCTAssertEqual(try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--explainer", e, "--out", dir + "/a.h5", "--quiet"]).status, 0)
        }
        let args = ["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--attributions", dir + "/a.h5", "--metric", "deletion",
                    "--option", "step=256", "--out", dir + "/e", "--quiet"]
        let first = try CLI.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("16 scores (16 computed now)"), first.stdout)
        let table = try Data(contentsOf: URL(fileURLWithPath: dir + "/e/per_sample.csv"))
        let again = try CLI.run(args)
        XCTAssertTrue(again.stdout.hasPrefix("16 scores (0 computed now)"), again.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/e/per_sample.csv")), table)
        let more = try CLI.run(args + ["--metric", "sparseness"])
        XCTAssertTrue(more.stdout.hasPrefix("32 scores (16 computed now)"), more.stdout)
    }
}
