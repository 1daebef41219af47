import Foundation
import XCTest
@testable import ProbityHarness
import ProbityCore

/// Suite parsing: every mistake is found before any work, with the file, the line and the key.
final class SuiteTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func suite(_ body: String) throws -> Suite {
        try Suite(yaml: body, path: SuiteTests.repository + "/metrics/test-suite.yaml")
    }

    func error(_ body: String) -> String {
        do { _ = try suite(body); return "no error" } catch { return "\(error)" }
    }

    let base = """
    dataset: ../datasets/photos.h5
    model: ../models/efficientnet_lite0.onnx
    """

    func testValidSuiteResolvesPathsOptionsAndRouting() throws {
        let s = try suite(base + """

        samples: {split: test, first: 5}
        batch: 4
        seed: 3
        target: label
        explainers:
          - saliency
          - integrated_gradients: {steps: 16, baseline: zero}
        metrics:
          - deletion
          - insertion: {substrate: zero}
          - data_randomization: {shuffled_model: ../models/shapes_cnn_shuffled.onnx}
        metric_options: {sign: abs, deletion.step: 512}
        """)
        XCTAssertEqual(s.dataset, SuiteTests.repository + "/datasets/photos.h5")
        XCTAssertEqual(s.out, SuiteTests.repository + "/reports/test-suite")
        XCTAssertEqual(s.samples, Suite.SampleSelection(indices: nil, split: 1, first: 5, every: nil))
        XCTAssertEqual([s.batch, Int(s.seed)], [4, 3])
        XCTAssertEqual(s.target, .label)
        XCTAssertEqual(s.explainers[1], Suite.ExplainerSpec(name: "integrated_gradients", options: ["steps": "16", "baseline": "zero"]))
        // `sign` goes to every metric that has it, `deletion.step` to deletion only; own options win.
        XCTAssertEqual(s.metrics[0].options, ["sign": "abs", "step": "512"])
        XCTAssertEqual(s.metrics[1].options["substrate"], "zero")
        XCTAssertNil(s.metrics[1].options["step"])
        XCTAssertEqual(s.metrics[2].options["shuffled_model"], SuiteTests.repository + "/models/shapes_cnn_shuffled.onnx")
        // The same suite always yields the same ids (defaults included).
        let again = try suite(base + "\nexplainers: [saliency, {integrated_gradients: {baseline: zero, steps: 16}}]\nmetrics: [deletion]")
        XCTAssertEqual(try again.makeExplainers().map(\.id), try s.makeExplainers().map(\.id))
        XCTAssertEqual(try s.makeExplainers()[1].id, "integrated_gradients@baseline=zero,method=gausslegendre,steps=16")
    }

    func testUnknownKeyNamesLineAndNearMiss() {
        let e = error(base + "\nexplainer: [saliency]\nmetrics: [deletion]")
        XCTAssertTrue(e.contains("test-suite.yaml: line 3: unknown key `explainer`; did you mean `explainers`?"), e)
    }

    func testWrongTypesAndValues() {
        XCTAssertTrue(error(base + "\nbatch: many\nexplainers: [saliency]\nmetrics: [deletion]").contains("line 3: `batch` must be an integer in 1…4096, got many"))
        XCTAssertTrue(error(base + "\nexplainers: saliency\nmetrics: [deletion]").contains("line 3: `explainers` must be a non-empty list"))
        XCTAssertTrue(error(base + "\ntarget: best\nexplainers: [saliency]\nmetrics: [deletion]").contains("`target` must be predicted, label or a class index, got best"))
        XCTAssertTrue(error(base + "\nsamples: {frist: 3}\nexplainers: [saliency]\nmetrics: [deletion]").contains("unknown key `samples.frist`; did you mean `first`?"))
        XCTAssertTrue(error(base + "\nexplainers: [saliency]\nmetrics: [deletion]\nmetrics: [insertion]").contains("metrics"))
        XCTAssertTrue(error("dataset: [").contains("is not valid YAML: line"), error("dataset: ["))
    }

    func testMissingFilesAndKeys() {
        XCTAssertTrue(error("dataset: ../datasets/nope.h5\nmodel: ../models/efficientnet_lite0.onnx\nexplainers: [saliency]\nmetrics: [deletion]")
            .contains("line 1: `dataset`: no file \(SuiteTests.repository)/datasets/nope.h5"))
        XCTAssertTrue(error(base + "\nexplainers: [saliency]").contains("missing key `metrics`"))
        XCTAssertTrue(error(base + "\nexplainers: [saliency]\nmetrics: [deletion]\ngate: nope.yaml").contains("`gate`: no file"))
    }

    func testUnknownNamesAndOptions() {
        XCTAssertTrue(error(base + "\nexplainers: [saliancy]\nmetrics: [deletion]").contains("line 3: unknown explainer `saliancy`; did you mean `saliency`?"))
        XCTAssertTrue(error(base + "\nexplainers: [saliency]\nmetrics: [deleton]").contains("line 4: unknown metric `deleton`; did you mean `deletion`?"))
        let e = error(base + "\nexplainers:\n  - integrated_gradients: {step: 16}\nmetrics: [deletion]")
        XCTAssertTrue(e.contains("line 4: unknown option `step` of integrated_gradients; did you mean `steps`?"), e)
        let v = error(base + "\nexplainers:\n  - integrated_gradients: {steps: -1}\nmetrics: [deletion]")
        XCTAssertTrue(v.contains("line 4:") && v.contains("steps must be an integer"), v)
        let routed = error(base + "\nexplainers: [saliency]\nmetrics: [deletion]\nmetric_options: {steps: 3}")
        XCTAssertTrue(routed.contains("option steps belongs to none of the metrics deletion"), routed)
        XCTAssertTrue(error(base + "\nexplainers: [saliency, saliency]\nmetrics: [deletion]").contains("saliency@abs=true is listed twice"))
    }

    func testDidYouMean() {
        XCTAssertEqual(DidYouMean.suggestion(for: "gradcamm", among: ["gradcam", "gradcam_pp", "layercam"]), "gradcam")
        XCTAssertNil(DidYouMean.suggestion(for: "xyz", among: ["gradcam"]))
        XCTAssertEqual(DidYouMean.distance("kitten", "sitting"), 3)
        XCTAssertEqual(DidYouMean.distance("frist", "first"), 1)
        XCTAssertEqual(DidYouMean.suggestion(for: "batchsize", among: ["batch", "seed"]), "batch")
    }
}

/// The committed presets parse as they are (paths, names, options), and the gate policies too
/// (files with top-level `rules:`).
final class PresetTests: XCTestCase {
    func testEveryPresetParses() throws {
        let dir = SuiteTests.repository + "/metrics"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(files.contains("quickstart.yaml") && files.contains("faithfulness.yaml") && files.contains("release-gate.yaml"), "\(files)")
        var policies: [String] = []
        for f in files {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            if text.split(separator: "\n").contains(where: { $0.hasPrefix("rules:") }) {
                XCTAssertFalse(try GatePolicy(contentsOf: dir + "/" + f).rules.isEmpty, f)
                policies.append(f)
                continue
            }
            let suite = try Suite(contentsOf: dir + "/" + f)
            XCTAssertFalse(suite.explainers.isEmpty, f)
            XCTAssertEqual(try suite.makeExplainers().count, suite.explainers.count, f)
            XCTAssertEqual(try suite.makeMetrics().count, suite.metrics.count, f)
        }
        let quickstart = try Suite(contentsOf: dir + "/quickstart.yaml")
        XCTAssertGreaterThanOrEqual(quickstart.explainers.count, 8)
        XCTAssertTrue(Set(["random", "sobel", "center_gaussian"]).isSubset(of: quickstart.explainers.map(\.name)))
        XCTAssertEqual(Set(quickstart.metrics.map(\.name)), ["deletion", "insertion", "road_morf", "pointing_game", "relevance_mass",
                                                              "model_randomization", "data_randomization", "sparseness"])
        XCTAssertEqual(quickstart.gate, dir + "/release-gate.yaml")
        // Its transformer half compares the same explainers on the shapes ViT (`make quickstart-vit`).
        let vit = try Suite(contentsOf: dir + "/quickstart-vit.yaml")
        XCTAssertEqual(vit.model, SuiteTests.repository + "/models/shapes_vit.onnx")
        XCTAssertEqual(vit.dataset, quickstart.dataset)
        XCTAssertEqual(vit.samples, quickstart.samples)
        XCTAssertEqual(vit.seed, quickstart.seed)
        XCTAssertEqual(vit.explainers.map(\.name), quickstart.explainers.map(\.name).filter { !["random", "sobel", "center_gaussian"].contains($0) }
                       + ["attention_rollout", "transformer_attribution", "random", "sobel", "center_gaussian"])
        XCTAssertEqual(vit.metrics.map(\.name), quickstart.metrics.map(\.name).filter { $0 != "data_randomization" })
        for e in vit.explainers { XCTAssertEqual(e.options, quickstart.explainers.first { $0.name == e.name }?.options ?? [:], e.name) }
        XCTAssertEqual(try GatePolicy(contentsOf: dir + "/release-gate.yaml").rules.count, 5)
        XCTAssertEqual(policies, ["release-gate.yaml", "release-regression.yaml"])
    }
}
