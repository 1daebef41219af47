import Foundation
import XCTest
import ProbityData

/// `probity explain` and `probity explainers` end to end on the committed shapes model.
final class ExplainCommandTests: XCTestCase {
    func shapes(_ dir: String) throws -> String {
        let path = dir + "/shapes.h5"
        let r = try CLI.run(["dataset", "synth", "shapes", "--out", path, "--count", "12", "--size", "64", "--seed", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return path
    }

    /// The seed of a random method is part of its cache key: another seed computes new maps
    /// (it used to return the old ones), the same seed reuses them unchanged.
    func testAnotherSeedRecomputesAndTheSameSeedReuses() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir)
        let out = dir + "/attr.h5"
        func explain(_ seed: String) throws -> CommandResult {
            try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "rise", "--option", "masks=64",
                         "--indices", "0..3", "--seed", seed, "--out", out, "--quiet"])
        }
        let one = try explain("1")
        XCTAssertTrue(one.stdout.hasPrefix("rise@border=reflect,cells=7,masks=64,p=0.5,seed=1: 4 computed, 0 reused"), one.stdout + one.stderr)
        let two = try explain("2")
        XCTAssertTrue(two.stdout.hasPrefix("rise@border=reflect,cells=7,masks=64,p=0.5,seed=2: 4 computed, 0 reused"), two.stdout + two.stderr)
        let again = try explain("1")
        XCTAssertTrue(again.stdout.hasPrefix("rise@border=reflect,cells=7,masks=64,p=0.5,seed=1: 0 computed, 4 reused"), again.stdout)
        XCTAssertTrue(again.stdout.hasSuffix("→ \(out)\n"), "a fully reused run names its file: \(again.stdout)")    // was "(null)"
        // The maps themselves: seeds 1 and 2 differ; the reused seed-1 maps are the ones first written.
        let check = try CLI.python("""
        import h5py, sys, numpy as np
        f = h5py.File(sys.argv[1], 'r')
        a = f['attributions/rise@border=reflect,cells=7,masks=64,p=0.5,seed=1'][:4]
        b = f['attributions/rise@border=reflect,cells=7,masks=64,p=0.5,seed=2'][:4]
        print(bool(np.abs(a - b).max() > 1e-3), int(f['attributions/rise@border=reflect,cells=7,masks=64,p=0.5,seed=1'].attrs['seed']))
        """, [out])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "True 1", check.stderr)
        let first = try CLI.python("import h5py, sys; print(h5py.File(sys.argv[1], 'r')['attributions/rise@border=reflect,cells=7,masks=64,p=0.5,seed=1'][:4].tobytes().hex()[:4000])", [out])
        _ = try explain("1")
        let after = try CLI.python("import h5py, sys; print(h5py.File(sys.argv[1], 'r')['attributions/rise@border=reflect,cells=7,masks=64,p=0.5,seed=1'][:4].tobytes().hex()[:4000])", [out])
        XCTAssertEqual(first.stdout, after.stdout)
        XCTAssertFalse(first.stdout.isEmpty)
    }

    /// A method that refuses the model (attention rollout on a CNN) exits 2 and leaves no empty
    /// entry in the cache; entries made before are kept.
    func testARefusedMethodLeavesNoEntry() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir)
        let out = dir + "/attr.h5"
        let ok = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "saliency", "--indices", "0..1", "--out", out, "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let refused = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "attention_rollout", "--indices", "0..1", "--out", out, "--quiet"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("attention rollout needs a ViT-like model"), refused.stderr)
        let keys = try CLI.python("import h5py, sys; print(sorted(h5py.File(sys.argv[1], 'r')['attributions']))", [out])
        XCTAssertEqual(keys.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "['saliency@abs=true']", keys.stderr)
    }

    func testExplainWritesTheCacheAndReusesIt() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir)
        let out = dir + "/attr.h5"
        let args = ["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "gradcam", "--indices", "0..5", "--out", out, "--quiet", "--png", dir + "/png"]
        let first = try CLI.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssert(first.stdout.contains("gradcam@layer=auto: 6 computed, 0 reused"), first.stdout)
        let more = try CLI.run(args.map { $0 == "0..5" ? "0..9" : $0 })
        XCTAssert(more.stdout.contains("4 computed, 6 reused"), more.stdout)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/png/00003_gradcam.png"))
        // h5py reads the cache; maps are non-negative Grad-CAMs, targets are the predicted classes.
        let script = """
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], 'r')
        m = f['attributions/gradcam@layer=auto']
        print(m.shape, m.dtype, int(f['done/gradcam@layer=auto'][:].sum()), float(m[:10].min()) >= 0, m.attrs['target'], len(m.attrs['model_sha256']))
        print([int(v) for v in f['targets/gradcam@layer=auto'][:10]])
        """
        let py = try CLI.python(script, [out])
        XCTAssertEqual(py.status, 0, py.stderr)
        XCTAssert(py.stdout.hasPrefix("(12, 64, 64) float32 10 True predicted 64"), py.stdout)
        let predicted = try CLI.run(["model", "predict", "models/shapes_cnn.onnx", "--dataset", data, "--indices", "0..9", "--quiet"])
        // Rows after the header: sample, label, class, probability, name; then the accuracy line.
        let top1 = predicted.stdout.split(separator: "\n").dropFirst().prefix(10).map { $0.split(separator: "\t")[2] }
        XCTAssertEqual(py.stdout.split(separator: "\n")[1], "[" + top1.joined(separator: ", ") + "]")
        // Another target rule for the same entry is refused (exit 2) unless --overwrite.
        let clash = try CLI.run(args + ["--target", "label"])
        XCTAssertEqual(clash.status, 2)
        XCTAssert(clash.stderr.contains("target predicted, not label"), clash.stderr)
        XCTAssertEqual(try CLI.run(args + ["--target", "label", "--overwrite"]).status, 0)
    }

    func testBadOptionsExitWithStatus2AndListTheValidOnes() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir)
        let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "integrated_gradients",
                             "--option", "stepz=3", "--out", dir + "/a.h5"])
        XCTAssertEqual(r.status, 2)
        XCTAssert(r.stderr.contains("unknown option stepz") && r.stderr.contains("steps (default 50)"), r.stderr)
        let unknown = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "magic", "--out", dir + "/a.h5"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.stderr.contains("available: saliency"), unknown.stderr)
        let listing = try CLI.run(["explainers", "--json"])
        let names = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]]).map { $0["name"] as? String ?? "" }
        XCTAssert(names.contains("rise") && names.contains("lrp") && names.contains("external"), "\(names)")
    }

    /// An external program (Python + h5py) returns the channel sum of its images; a failing
    /// one stops the command, or with --keep-going marks its samples failed and goes on; precomputed maps written by h5py read back.
    func testExternalAndPrecomputedExplainers() throws {
        let dir = try CLI.scratch()
        let data = try shapes(dir)
        let program = dir + "/sum.py"
        try """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[-2], 'r') as f: x = f['images'][:]
        with h5py.File(sys.argv[-1], 'w') as f: f['attributions'] = x.sum(axis=1).astype(np.float32)
        """.write(toFile: program, atomically: true, encoding: .utf8)
        let out = dir + "/attr.h5"
        let ok = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                              "--option", "command=/usr/bin/python3 \(program)", "--indices", "0..3", "--out", out, "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let check = try CLI.python("""
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], 'r'); d = h5py.File(sys.argv[2], 'r')
        key = [k for k in f['attributions'] if k.startswith('external')][0]
        x = d['images'][:4].astype(np.float32) / 255 * 2 - 1
        print(np.abs(f['attributions'][key][:4] - x.sum(axis=3)).max() < 1e-5, int(f['diagnostics'][key]['failed'][:4].sum()))
        """, [out, data])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "True 0", check.stderr)
        let stopped = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                                   "--option", "command=/usr/bin/false", "--indices", "0..1", "--out", out, "--quiet"])
        XCTAssertEqual(stopped.status, 2, stopped.stderr)
        let failing = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "external",
                                   "--option", "command=/usr/bin/false", "--indices", "0..1", "--out", out, "--quiet", "--keep-going"])
        XCTAssertEqual(failing.status, 0, failing.stderr)
        XCTAssert(failing.stderr.contains("sample 0 failed") && failing.stderr.contains("exited with status 1"), failing.stderr)
        // Precomputed: float64 maps from h5py.
        let pre = dir + "/pre.h5"
        _ = try CLI.python("import h5py, numpy as np, sys\nh5py.File(sys.argv[1], 'w')['maps'] = np.arange(12 * 64 * 64, dtype=np.float64).reshape(12, 64, 64)", [pre])
        let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", "precomputed",
                             "--option", "file=\(pre)", "--option", "dataset=maps", "--indices", "5", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let back = try HDF5File(path: out)
        let name = try back.members(of: "/attributions").first { $0.hasPrefix("precomputed") }!
        XCTAssertEqual(try back.read("/attributions/\(name)", rows: 5..<6, as: Float.self).first, Float(5 * 64 * 64))
    }
}

/// Every explainer end to end on the committed shapes models, with reduced options (CI time).
final class ExplainAllTests: XCTestCase {
    /// Options that keep the sampling methods short here (their defaults run in the quickstart).
    static func reduced(_ name: String) -> [String] {
        let options = ["integrated_gradients": "steps=16", "smoothgrad": "samples=8", "smoothgrad_sq": "samples=8", "vargrad": "samples=8",
                       "rise": "masks=200", "lime": "samples=200", "kernel_shap": "samples=200"]
        return options[name].map { ["--option", $0] } ?? []
    }

    func testEveryExplainerRunsOnTheShapesModel() throws {
        let dir = try CLI.scratch()
        let data = dir + "/shapes.h5"
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "4", "--size", "64", "--seed", "1"]).status, 0)
        let listing = try CLI.run(["explainers", "--json"])
        let names = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]]).compactMap { $0["name"] as? String }
        let out = dir + "/attr.h5"
        for name in names where name != "external" && name != "precomputed" {
            let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--explainer", name, "--indices", "0..1", "--out", out, "--quiet"]
                                + Self.reduced(name))
            if name == "attention_rollout" || name == "transformer_attribution" {
                // A CNN has no attention: refused with the reason (the ViT runs are AttentionRolloutTests' and TransformerAttributionTests').
                XCTAssertEqual(r.status, 2); XCTAssert(r.stderr.contains("no global attention found"), r.stderr)
                continue
            }
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
        }
        let check = try CLI.python("""
        import h5py, numpy as np, sys
        f = h5py.File(sys.argv[1], 'r')
        bad = [k for k in f['attributions'] if not k.startswith(('attention_rollout', 'transformer_attribution')) and (not np.isfinite(f['attributions'][k][:2]).all() or np.abs(f['attributions'][k][:2]).max() == 0)]
        print(len(f['attributions']), bad)
        """, [out])
        // The refused attention_rollout and transformer_attribution leave no entry (testARefusedMethodLeavesNoEntry).
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(names.count - 4) []", check.stderr)
    }

    /// `probity explain` runs every built-in method on the committed shapes ViT
    /// (`models/shapes_vit.onnx`) unchanged: gradients, CAMs on its token map, perturbations,
    /// surrogates, LRP with the transformer rules, the two attention methods, and the controls.
    /// Each map is checked with h5py: one 64×64 map per sample, finite, not constant.
    func testEveryBuiltInMethodRunsOnTheShapesViT() throws {
        let dir = try CLI.scratch()
        let data = dir + "/shapes.h5"
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "3", "--size", "64", "--seed", "4"]).status, 0)
        let list = try CLI.run(["explainers"])
        XCTAssertEqual(list.status, 0, list.stderr)
        // Every explainer but the two that take their maps from elsewhere (a program, a file).
        let names = list.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init).filter { !["external", "precomputed"].contains($0) }
        XCTAssertEqual(names.count, 23, names.joined(separator: ", "))
        XCTAssertTrue(names.contains("attention_rollout") && names.contains("transformer_attribution") && names.contains("scorecam"))
        let out = dir + "/attributions.h5"
        for name in names {
            let r = try CLI.run(["explain", "--model", "models/shapes_vit.onnx", "--dataset", data, "--explainer", name, "--indices", "0..2", "--out", out, "--quiet"]
                                + Self.reduced(name))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains(": 3 computed, 0 reused"), "\(name): \(r.stdout)")
        }
        let check = try CLI.python("""
        import h5py, sys, numpy as np
        f = h5py.File(sys.argv[1], 'r')
        for key in sorted(f['attributions']):
            maps = f['attributions'][key][:3]
            ok = maps.shape == (3, 64, 64) and bool(np.isfinite(maps).all()) and all(float(m.std()) > 0 for m in maps)
            print(key.split('@')[0], 'ok' if ok else 'BAD %s %s' % (maps.shape, [float(m.std()) for m in maps]))
        """, [out])
        XCTAssertEqual(check.status, 0, check.stderr)
        let lines = check.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(lines.map { String($0.split(separator: " ")[0]) }), Set(names), check.stdout)
        for line in lines { XCTAssertTrue(line.hasSuffix(" ok"), line) }
    }
}

/// What a newcomer meets first: a class the model does not have, a bare explainer name, the version.
final class FirstHourTests: XCTestCase {
    func testAClassTheModelLacksIsRefusedBeforeAnythingIsWritten() throws {
        let dir = try CLI.scratch()
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/s.h5", "--count", "4", "--size", "64", "--seed", "1"]).status, 0)
        let r = try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--explainer", "saliency", "--target", "7", "--out", dir + "/a.h5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: --target 7: models/shapes_cnn.onnx has 4 classes (0…3)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.h5"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.h5.journal"))
    }

    func testBareNamesAndOneVersionEverywhere() throws {
        let dir = try CLI.scratch()
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/s.h5", "--count", "4", "--size", "64", "--seed", "1"]).status, 0)
        for options in [["--option", "abs=true"], ["--option", "abs=false"]] {
            XCTAssertEqual(try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--explainer", "saliency", "--out", dir + "/a.h5", "--quiet"] + options).status, 0)
        }
        XCTAssertEqual(try CLI.run(["explain", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--explainer", "gradcam", "--out", dir + "/a.h5", "--quiet"]).status, 0)
        // One gradcam entry: its bare name is enough; two saliency entries: the choices are listed.
        let one = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--attributions", dir + "/a.h5",
                               "--explainer", "gradcam", "--metric", "sparseness", "--out", dir + "/e", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir + "/e/per_sample.csv", encoding: .utf8).contains("\ngradcam@layer=auto,sparseness,"))
        let two = try CLI.run(["evaluate", "--model", "models/shapes_cnn.onnx", "--dataset", dir + "/s.h5", "--attributions", dir + "/a.h5",
                               "--explainer", "saliency", "--metric", "sparseness", "--out", dir + "/e2"])
        XCTAssertEqual(two.status, 2)
        XCTAssertEqual(two.stderr, "probity: error: \(dir)/a.h5: saliency is ambiguous; give one of: saliency@abs=false, saliency@abs=true\n")
        // `--version`, the cache and run.json say the same version.
        let version = try CLI.run(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(version.isEmpty)
        let check = try CLI.python("""
        import h5py, json, sys
        print(h5py.File(sys.argv[1], 'r')['attributions/gradcam@layer=auto'].attrs['probity_version'], json.load(open(sys.argv[2]))['probity_version'])
        """, [dir + "/a.h5", dir + "/e/run.json"])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(version) \(version)", check.stderr)
    }
}
