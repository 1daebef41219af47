import Foundation
import XCTest

/// `probity explain` runs every built-in method on the committed shapes ViT
/// (`models/shapes_vit.onnx`) unchanged: gradients, CAMs on its token map, perturbations,
/// surrogates, LRP with the transformer rules, the two attention methods, and the controls.
/// Each map is checked with h5py: one 64×64 map per sample, finite, not constant.
final class ViTExplainCommandTests: XCTestCase {
    /// Options that keep the sampling methods short here (their defaults run in the quickstart).
    static let quick: [String: [String]] = [
        "smoothgrad": ["samples=8"], "smoothgrad_sq": ["samples=8"], "vargrad": ["samples=8"],
        "rise": ["masks=128"], "lime": ["samples=200"], "kernel_shap": ["samples=200"], "integrated_gradients": ["steps=16"],
    ]

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
            var args = ["explain", "--model", "models/shapes_vit.onnx", "--dataset", data, "--explainer", name, "--indices", "0..2", "--out", out, "--quiet"]
            for option in Self.quick[name] ?? [] { args += ["--option", option] }
            let r = try CLI.run(args)
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
