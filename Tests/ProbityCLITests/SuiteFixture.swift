import Foundation
import XCTest

/// A small suite for the run, merge and cluster tests, and the check that two run folders
/// hold the same results.
enum SuiteFixture {
    static let tables = ["per_sample.csv", "summary.csv", "pairwise.csv", "reliability.csv"]

    /// A small suite over 24 held-out shapes: a gradient method, a CAM, a seeded control, and
    /// metrics with random streams (ROAD noise) and re-runs of the method (randomization).
    static func make(_ dir: String, explainers: String? = nil) throws -> String {
        if !FileManager.default.fileExists(atPath: dir + "/shapes.h5") {
            let r = try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/shapes.h5", "--count", "48", "--size", "64", "--seed", "3", "--test-fraction", "0.5"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let suite = dir + "/suite.yaml"
        try """
        dataset: shapes.h5
        model: \(CLI.repository.path)/models/shapes_cnn.onnx
        samples: {split: test, first: 24}
        batch: 4
        seed: 7
        explainers:
        \(explainers ?? "  - saliency\n  - gradcam\n  - random")
        metrics:
          - deletion
          - road_morf
          - pointing_game
          - sparseness
          - model_randomization
        """.write(toFile: suite, atomically: true, encoding: .utf8)
        return suite
    }

    static func assertSameTables(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for t in SuiteFixture.tables {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + t)), y = try Data(contentsOf: URL(fileURLWithPath: b + "/" + t))
            XCTAssertEqual(x, y, "\(t) differs between \(a) and \(b)", file: file, line: line)
        }
        // curves.h5 holds the same arrays (HDF5 object headers carry times, so not the same bytes).
        let check = try CLI.python("""
        import h5py, sys, numpy as np
        a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
        names = []
        a.visit(lambda n: names.append(n) if isinstance(a[n], h5py.Dataset) else None)
        other = []
        b.visit(lambda n: other.append(n) if isinstance(b[n], h5py.Dataset) else None)
        assert sorted(names) == sorted(other), (names, other)
        assert all(np.array_equal(a[n][()], b[n][()], equal_nan=True) for n in names)
        print(len(names))
        """, [a + "/curves.h5", b + "/curves.h5"])
        XCTAssertEqual(check.status, 0, check.stderr, file: file, line: line)
        XCTAssertGreaterThan(Int(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0, file: file, line: line)
    }

}
