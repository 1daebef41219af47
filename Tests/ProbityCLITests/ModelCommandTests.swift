import Foundation
import XCTest
import ProbityData
import ProbityEngine
import ProbityONNX

final class ModelCommandTests: XCTestCase {
    /// `probity model predict` on the committed photos gives the parity fixture's top-1 classes.
    func testPredictGivesTheFixtureTopClasses() throws {
        let dir = try CLI.scratch()
        let r = try CLI.run(["model", "predict", "models/efficientnet_lite0.onnx", "--dataset", "datasets/photos.h5", "--out", dir + "/p.h5", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let top1 = rows.map { (($0["top5"] as? [[String: Any]])?.first?["class"] as? Int) ?? -1 }
        XCTAssertEqual(top1, [285, 967, 450, 657, 665, 619, 971, 652])
        XCTAssertEqual((rows[1]["top5"] as? [[String: Any]])?.first?["name"] as? String, "espresso")
        let f = try HDF5File(path: dir + "/p.h5")
        XCTAssertEqual(try f.read("/top1", as: Int64.self), [285, 967, 450, 657, 665, 619, 971, 652])
        XCTAssertEqual(try f.info("/logits").shape, [8, 1000])
        let probs = try f.read("/probs", as: Float.self)
        XCTAssertEqual(probs[0..<1000].reduce(0, +), 1, accuracy: 1e-4)
        // A subset by --indices.
        let subset = try CLI.run(["model", "predict", "models/efficientnet_lite0.onnx", "--dataset", "datasets/photos.h5", "--indices", "1..2,5", "--quiet"])
        // Rows: sample, label, class, probability, name (after a header; the accuracy line last).
        XCTAssertEqual(subset.stdout.split(separator: "\n").dropFirst().prefix(3).map { r in [r.split(separator: "\t")[0], r.split(separator: "\t")[2]].joined(separator: " ") },
                       ["1 967", "2 450", "5 619"])
    }

    func testInfoCountsFLOPsAndLayers() throws {
        let r = try CLI.run(["model", "info", "models/efficientnet_lite0.onnx", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        // EfficientNet-Lite0: about 0.39 G multiply-adds (published 407M with the head at 224 px).
        let flops = try XCTUnwrap(info["flops_per_image"] as? Int)
        XCTAssert((0.7e9...0.85e9).contains(Double(flops)), "\(flops)")
        XCTAssertEqual(info["layers"] as? Int, 50)   // 49 convolutions + the classifier Gemm
        let layers = try CLI.run(["model", "layers", "models/efficientnet_lite0.onnx"])
        XCTAssert(layers.stdout.contains("/m/_conv_stem/Conv_output_0"), layers.stdout)
    }

    /// Randomization cascades over the layers exactly as `probity model layers` lists them.
    func testCascadeOrderIsTheLayersListing() throws {
        let r = try CLI.run(["model", "layers", "models/efficientnet_lite0.onnx", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let listed = rows.map { $0["output"] as? String ?? "" }
        let model = try ONNXModel(path: CLI.repository.appendingPathComponent("models/efficientnet_lite0.onnx").path)
        XCTAssertEqual(listed, try model.layers)
        XCTAssertEqual(rows.map { $0["index"] as? Int ?? -1 }, Array(0..<listed.count))
        for k in [0, 1, 10, listed.count - 1] {
            XCTAssertEqual(Randomization.cascade(try model.layers, step: k), Array(listed.suffix(k + 1)), "cascade step \(k) randomizes the last \(k + 1) listed layers")
        }
    }

    func testBadModelInputExitsWithStatus2() throws {
        let dir = try CLI.scratch()
        try Data("not onnx".utf8).write(to: URL(fileURLWithPath: dir + "/bad.onnx"))
        for (arguments, message) in [
            (["model", "info", dir + "/bad.onnx"], dir + "/bad.onnx: not a valid ONNX model"),
            (["model", "info", dir + "/none.onnx"], dir + "/none.onnx: no such file"),
            (["model", "predict", "models/efficientnet_lite0.onnx", "--dataset", "Tests/Fixtures/h5py_dataset.h5"], "h5py_dataset.h5: images are 3×8×6, the model models/efficientnet_lite0.onnx takes 3×224×224; import the images again with `probity dataset import-images --size 224`"),
        ] {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments) \(r.stderr)")
            XCTAssert(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
    }
}

/// The committed shapes models: regenerate their dataset with the recipe in the Makefile and
/// check the accuracy their provenance states.
final class ShapesModelTests: XCTestCase {
    func testCommittedShapesModelsHaveTheirStatedAccuracy() throws {
        let dir = try CLI.scratch()
        let data = dir + "/shapes.h5"
        let synth = try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "3000", "--size", "64", "--seed", "1", "--test-fraction", "0.2"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let d = try Dataset(path: data)
        let test = d.indices(split: 1)
        XCTAssertEqual(test.count, 620)
        func accuracy(_ model: String) throws -> Double {
            let r = try CLI.run(["model", "predict", model, "--dataset", data, "--out", dir + "/p.h5", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let top1 = try HDF5File(path: dir + "/p.h5").read("/top1", as: Int64.self)
            return Double(test.filter { Int(top1[$0]) == d.labels[$0] }.count) / Double(test.count)
        }
        let normal = try accuracy("models/shapes_cnn.onnx")
        XCTAssertGreaterThanOrEqual(normal, 0.95, "shapes_cnn test accuracy")
        let shuffled = try accuracy("models/shapes_cnn_shuffled.onnx")
        XCTAssertLessThan(shuffled, 0.4, "the shuffled-label twin is near chance (0.25) on the test split")
        let vit = try accuracy("models/shapes_vit.onnx")
        XCTAssertEqual(vit, 598.0 / 620, accuracy: 1e-9, "shapes_vit test accuracy as models/README.md states (96.45 %, as PyTorch and ONNX Runtime)")
        print("shapes_cnn test accuracy \(normal), shuffled twin \(shuffled), shapes_vit \(vit)")
    }
}

/// `model layers --all` (the list error hints point to), `predict`'s header and accuracy,
/// `--input-size` checked.
final class ModelCommandFirstHourTests: XCTestCase {
    func testLayersAllPredictHeaderAndInputSize() throws {
        let all = try CLI.run(["model", "layers", "models/shapes_cnn.onnx", "--all"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let lines = all.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "shape per image\toutput (hook name)")
        XCTAssertGreaterThan(lines.count, 6)
        XCTAssertTrue(lines.contains { $0.hasPrefix("[4]\t") }, all.stdout)          // the logits, 4 classes
        let dir = try CLI.scratch()
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/s.h5", "--count", "6", "--size", "64", "--seed", "3"]).status, 0)
        let predict = try CLI.run(["model", "predict", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--quiet"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let rows = predict.stdout.split(separator: "\n")
        XCTAssertEqual(rows.first, "sample\tlabel\tclass\tprobability\tname")
        let correct = rows.dropFirst().prefix(6).filter { $0.split(separator: "\t")[1] == $0.split(separator: "\t")[2] }.count
        XCTAssertEqual(rows.last.map(String.init), String(format: "top-1 accuracy against the dataset's labels: %.4f (%d of 6)", Double(correct) / 6, correct))
        let bad = try CLI.run(["model", "info", "models/shapes_cnn.onnx", "--input-size", "64"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "probity: error: --input-size must be H,W (e.g. 224,224), got 64\n")
        XCTAssertEqual(try CLI.run(["model", "info", "models/shapes_cnn.onnx", "--input-size", "64,64"]).status, 0)
    }
}

/// `model layers` lists a transformer's attention probabilities (the outputs attention_rollout
/// reads, hookable by name), and nothing of the kind for a CNN.
final class ModelAttentionLayersTests: XCTestCase {
    func testAttentionLayersAreListed() throws {
        let vit = try CLI.run(["model", "layers", "Tests/Fixtures/transformers/vit_ts17.onnx"])
        XCTAssertEqual(vit.status, 0, vit.stderr)
        XCTAssert(vit.stdout.contains("0\t2 × 17 × 17\t/encoder/layers/encoder_layer_0/self_attention/Softmax_output_0"), vit.stdout)
        XCTAssert(vit.stdout.contains("1\t2 × 17 × 17\t/encoder/layers/encoder_layer_1/self_attention/Softmax_output_0"), vit.stdout)
        let cnn = try CLI.run(["model", "layers", "models/shapes_cnn.onnx"])
        XCTAssertFalse(cnn.stdout.contains("attention"), cnn.stdout)
    }
}
