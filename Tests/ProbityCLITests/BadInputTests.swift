import Foundation
import XCTest

/// Bad input, command by command (README, Command line: "one line naming the file, the place
/// in it and the problem, and exit status 2"): for each command `probity --help` lists, the
/// inputs a user gets wrong — missing files, a dataset that does not fit the model (size or
/// channels), `--indices` out of range, unknown explainers and metrics, bad option values,
/// `model train` on a dataset without a split — exit with status 2, print nothing on stdout
/// and exactly one `probity: error:` line on stderr that names the file (or option) and the
/// problem, and leave no output behind. Cases the per-command test files already hold (the
/// dataset and model files' corrupt inputs, unknown explainer options, suites with unknown
/// keys, merge's refusals, gate policies) are not repeated here.
final class BadInputTests: XCTestCase {
    /// Small datasets beside the test: 64 px with a split (fits `shapes_cnn`), 32 px (does not),
    /// 64 px without a split, and a one-channel copy of the first.
    struct Files {
        let dir: String
        var fits: String { dir + "/fits.h5" }
        var small: String { dir + "/small.h5" }
        var noSplit: String { dir + "/nosplit.h5" }
        var gray: String { dir + "/gray.h5" }
        var missing: String { dir + "/missing.h5" }
        var model: String { CLI.repository.path + "/models/shapes_cnn.onnx" }
    }

    func files(_ name: String = #function) throws -> Files {
        let f = Files(dir: try CLI.scratch(name))
        for (path, size, split) in [(f.fits, "64", true), (f.small, "32", true), (f.noSplit, "64", false)] {
            let r = try CLI.run(["dataset", "synth", "shapes", "--out", path, "--count", "12", "--size", size, "--seed", "1"] + (split ? ["--test-fraction", "0.5"] : []))
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let gray = try CLI.python("""
        import h5py, sys, numpy as np
        with h5py.File(sys.argv[1], 'r') as src, h5py.File(sys.argv[2], 'w') as dst:
            for k in src:
                if k != 'images': src.copy(k, dst)
            dst['images'] = src['images'][()][..., :1]
            for k, v in src.attrs.items(): dst.attrs[k] = v
            dst.attrs['input_scale'] = np.ones(1, np.float32)
            dst.attrs['input_offset'] = np.zeros(1, np.float32)
        """, [f.fits, f.gray])
        XCTAssertEqual(gray.status, 0, gray.stderr)
        return f
    }

    /// Runs `arguments` and checks the bad-input contract: status 2, stdout empty, one stderr
    /// line `probity: error: …` that contains `message`, and none of `absent` written.
    func assertRefused(_ arguments: [String], _ message: String, absent: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(arguments)
        let what = arguments.joined(separator: " ")
        XCTAssertEqual(r.status, 2, "\(what): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "\(what): nothing on stdout", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, "\(what): one line, ending in a newline: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("probity: error: "), "\(what): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), "\(what): expected `\(message)` in \(r.stderr)", file: file, line: line)
        for path in absent { XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(what) left \(path) behind", file: file, line: line) }
    }

    func testModelCommands() throws {
        let f = try files()
        let out = f.dir + "/out"
        try assertRefused(["model", "layers", f.dir + "/none.onnx"], f.dir + "/none.onnx: no such file")
        try assertRefused(["model", "predict", f.model, "--dataset", f.missing], f.missing + ": no such file")
        try assertRefused(["model", "predict", f.model, "--dataset", f.small, "--out", out + ".h5"],
                          f.small + ": images are 3×32×32, the model \(f.model) takes 3×64×64", absent: [out + ".h5"])
        try assertRefused(["model", "predict", f.model, "--dataset", f.gray],
                          f.gray + ": images have 1 channel, the model \(f.model) takes 3 (3×64×64); import the images again with `probity dataset import-images --channels 3`")
        try assertRefused(["model", "predict", f.model, "--dataset", f.fits, "--indices", "10..12", "--out", out + ".h5"],
                          "--indices 10..12: 10..12 is outside the dataset's 0..<12", absent: [out + ".h5"])
        try assertRefused(["model", "predict", f.model, "--dataset", f.fits, "--indices", "three"], "--indices three: cannot read `three`")
        // It crashed (a stride of 0) before it was checked.
        try assertRefused(["model", "predict", f.model, "--dataset", f.fits, "--batch", "0"], "--batch must be at least 1, got 0")
    }

    func testModelTrain() throws {
        let f = try files()
        let out = f.dir + "/trained.onnx"
        let train = ["model", "train", "--epochs", "1", "--batch", "2", "--out", out, "--dataset"]
        try assertRefused(train + [f.noSplit], f.noSplit + ": training needs a /split dataset (0 = train, 1 = test)", absent: [out])
        try assertRefused(train + [f.missing], f.missing + ": no such file", absent: [out])
        try assertRefused(train + [f.small, "--arch", "resnet50"], "unknown architecture resnet50; available: small-cnn", absent: [out])
        try assertRefused(train + [f.small, "--optimizer", "rmsprop"], "unknown optimizer rmsprop; use adam or sgd", absent: [out])
        try assertRefused(train + [f.small, "--epochs", "0"], "--epochs and --batch must be positive", absent: [out])
        try assertRefused(train + [f.small, "--batch", "7"], f.small + ": the train split has 4 samples, fewer than one batch of 7", absent: [out])
        // Accepted before, and trained with a negative step or an exploding momentum.
        try assertRefused(train + [f.small, "--lr=-0.1"], "--lr must be a positive number, got -0.1", absent: [out])
        try assertRefused(train + [f.small, "--optimizer", "sgd", "--momentum", "1.5"], "--momentum must be in [0, 1), got 1.5", absent: [out])
        try assertRefused(train + [f.small, "--weight-decay=-1"], "--weight-decay must be 0 or positive, got -1.0", absent: [out])
        // An --out that cannot be written fails before the training, not after it.
        try assertRefused(["model", "train", "--epochs", "1", "--batch", "2", "--dataset", f.small, "--out", f.fits + "/m.onnx"],
                          f.fits + "/m.onnx: cannot write: \(f.fits) is a file, not a folder")
    }

    func testDatasetCommands() throws {
        let f = try files()
        try assertRefused(["dataset", "validate", f.missing], f.missing + ": no such file")
        try assertRefused(["dataset", "synth", "shapes", "--out", f.dir + "/s.h5", "--count", "0"], "shapes needs --count ≥ 1 and --size ≥ 16", absent: [f.dir + "/s.h5"])
        try assertRefused(["dataset", "synth", "shapes", "--out", f.dir + "/s.h5", "--count", "4", "--test-fraction", "1.5"],
                          "--test-fraction must be in 0…1, got 1.5", absent: [f.dir + "/s.h5"])
        // Through a regular file: one line naming the target (it was a multi-line HDF5 error
        // naming the temporary file).
        try assertRefused(["dataset", "synth", "shapes", "--out", f.fits + "/s.h5", "--count", "4"], f.fits + "/s.h5: cannot write: \(f.fits) is a file, not a folder")
        try assertRefused(["dataset", "import-images", f.dir + "/nothing", "--out", f.dir + "/i.h5"], f.dir + "/nothing: no such folder", absent: [f.dir + "/i.h5"])
        // These exited 64 with the usage text.
        try assertRefused(["dataset", "import-images", f.dir, "--out", f.dir + "/i.h5", "--scale", "1,1", "--offset", "0"],
                          "--scale and --offset need the same number of values", absent: [f.dir + "/i.h5"])
        try assertRefused(["dataset", "import-images", f.dir, "--out", f.dir + "/i.h5", "--scale", "two"],
                          "--scale takes numbers separated by commas, got `two`", absent: [f.dir + "/i.h5"])
    }

    func testExplain() throws {
        let f = try files()
        let out = f.dir + "/a.h5"
        func explain(_ dataset: String, _ extra: [String] = []) -> [String] {
            ["explain", "--model", f.model, "--dataset", dataset, "--explainer", "saliency", "--out", out] + extra
        }
        try assertRefused(["explain", "--model", f.dir + "/none.onnx", "--dataset", f.fits, "--explainer", "saliency", "--out", out], f.dir + "/none.onnx: no such file", absent: [out])
        try assertRefused(explain(f.missing), f.missing + ": no such file", absent: [out])
        try assertRefused(explain(f.small), f.small + ": images are 3×32×32, the model \(f.model) takes 3×64×64", absent: [out])
        try assertRefused(explain(f.gray), f.gray + ": images have 1 channel, the model \(f.model) takes 3", absent: [out])
        try assertRefused(explain(f.fits, ["--indices", "3,12"]), "--indices 3,12: 12 is outside the dataset's 0..<12", absent: [out])
        try assertRefused(explain(f.fits, ["--option", "abs=maybe"]), "saliency: abs must be true or false, got maybe; saliency options: abs (default true)", absent: [out])
        try assertRefused(explain(f.fits, ["--option", "abs"]), "option abs must be key=value", absent: [out])
        try assertRefused(explain(f.fits, ["--target", "biggest"]), "--target must be predicted, label or a class index, got biggest", absent: [out])
        try assertRefused(["explain", "--model", f.model, "--dataset", f.fits, "--explainer", "rise", "--option", "masks=0", "--out", out],
                          "rise: masks must be an integer in 1…1000000, got 0", absent: [out])
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: f.dir + "/text.h5"))
        try assertRefused(["explain", "--model", f.model, "--dataset", f.fits, "--explainer", "saliency", "--out", f.dir + "/text.h5", "--indices", "0"],
                          f.dir + "/text.h5: not an HDF5 file")
        XCTAssertEqual(try String(contentsOfFile: f.dir + "/text.h5", encoding: .utf8), "not hdf5", "a file that is not a cache is left as it was")
    }

    func testEvaluate() throws {
        let f = try files()
        let maps = f.dir + "/a.h5", out = f.dir + "/eval"
        let made = try CLI.run(["explain", "--model", f.model, "--dataset", f.fits, "--explainer", "saliency", "--out", maps, "--indices", "0..3", "--quiet"])
        XCTAssertEqual(made.status, 0, made.stderr)
        func evaluate(_ dataset: String, _ extra: [String]) -> [String] {
            ["evaluate", "--model", f.model, "--dataset", dataset, "--attributions", maps, "--out", out] + extra
        }
        // It said "holds no attribution maps".
        try assertRefused(["evaluate", "--model", f.model, "--dataset", f.fits, "--attributions", f.dir + "/none.h5", "--metric", "deletion", "--out", out],
                          f.dir + "/none.h5: no such file", absent: [out, f.dir + "/none.h5"])
        try assertRefused(evaluate(f.small, ["--metric", "deletion"]), f.small + ": images are 3×32×32", absent: [out])
        try assertRefused(evaluate(f.gray, ["--metric", "deletion"]), f.gray + ": images have 1 channel", absent: [out])
        try assertRefused(evaluate(f.fits, ["--metric", "delection"]), "unknown metric delection; available: deletion", absent: [out])
        try assertRefused(evaluate(f.fits, ["--metric", "deletion", "--option", "steps=3"]), "option steps belongs to none of the metrics deletion", absent: [out])
        try assertRefused(evaluate(f.fits, ["--metric", "deletion", "--option", "deletion.substrate=purple"]),
                          "deletion: substrate must be one of black, zero, mean, blur, blur_sampled, noise or a .png file, got purple", absent: [out])
        try assertRefused(evaluate(f.fits, ["--metric", "deletion", "--target", "4"]), "--target 4: \(f.model) has 4 classes (0…3)", absent: [out])
        try assertRefused(evaluate(f.fits, ["--metric", "deletion", "--explainer", "rise"]), maps + ": no maps for explainer rise; the file holds: saliency@abs=true", absent: [out])
    }

    /// `probity run`: a suite naming a dataset that does not fit the model, samples out of
    /// range, an unknown explainer or metric, a bad option, a missing dataset — refused before
    /// the output folder is made.
    func testRun() throws {
        let f = try files()
        let out = f.dir + "/run"
        func suite(_ name: String, dataset: String, samples: String = "all", explainer: String = "saliency", metric: String = "deletion") throws -> String {
            let path = f.dir + "/\(name).yaml"
            try "dataset: \(dataset)\nmodel: \(f.model)\nsamples: \(samples)\nexplainers:\n  - \(explainer)\nmetrics:\n  - \(metric)\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try assertRefused(["run", try suite("small", dataset: f.small), "--out", out], f.small + ": images are 3×32×32, the model \(f.model) takes 3×64×64", absent: [out])
        try assertRefused(["run", try suite("gray", dataset: f.gray), "--out", out], f.gray + ": images have 1 channel", absent: [out])
        let range = try suite("range", dataset: f.fits, samples: "[0, 12]")
        try assertRefused(["run", range, "--out", out], range + ": `samples` names sample 12, but \(f.fits) has 12 (0…11)", absent: [out])
        let explainer = try suite("explainer", dataset: f.fits, explainer: "salience")
        try assertRefused(["run", explainer, "--out", out], explainer + ": line 5: unknown explainer `salience`; did you mean `saliency`?", absent: [out])
        let option = try suite("option", dataset: f.fits, explainer: "rise: {masks: 0}")
        try assertRefused(["run", option, "--out", out], option + ": line 5: rise: masks must be an integer in 1…1000000, got 0", absent: [out])
        let metric = try suite("metric", dataset: f.fits, metric: "delection")
        try assertRefused(["run", metric, "--out", out], metric + ": line 7: unknown metric `delection`; did you mean `deletion`?", absent: [out])
        let missing = try suite("missing", dataset: f.missing)
        try assertRefused(["run", missing, "--out", out], missing + ": line 1: `dataset`: no file \(f.missing)", absent: [out])
    }

    /// The commands that read run folders, and the benchmark.
    func testReportCompareGateMergeBench() throws {
        let f = try files()
        try assertRefused(["report", f.dir + "/norun"], f.dir + "/norun/summary.csv: missing")
        try assertRefused(["compare", f.dir + "/norun", f.dir + "/other"], f.dir + "/norun/summary.csv: missing")
        try assertRefused(["gate", "--policy", f.dir + "/none.yaml", "--run", f.dir + "/norun"], f.dir + "/none.yaml: cannot read the gate policy")
        try assertRefused(["merge", "--out", f.dir + "/merged"], "merge needs the shard folders", absent: [f.dir + "/merged"])
        // It timed sgemm for seconds, printing progress, before it read the model.
        try assertRefused(["bench", "engine", "--model", f.dir + "/none.onnx"], f.dir + "/none.onnx: no such file")
    }
}
