import Foundation
import XCTest

/// Names taken from data stay inert end to end: a dataset whose class and sample names are
/// `<script>alert(1)</script>`, `=HYPERLINK(…)` and `../../escaped`, and a precomputed-maps file
/// named with markup and a formula, go through `probity run` (tables, report, charts, heatmaps)
/// and `probity figure lime`. No HTML or SVG written holds a tag from them, no CSV field starts
/// a spreadsheet formula, and every file written is inside the folder the command was given.
final class HostileContentTests: XCTestCase {
    static let script = "<script>alert(1)</script>"
    static let formula = "=HYPERLINK(\"http://example.invalid\",\"x\")"

    /// Every regular file under `dir`, relative to it.
    func files(_ dir: String) -> Set<String> {
        var found = Set<String>()
        let e = FileManager.default.enumerator(atPath: dir)
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + p, isDirectory: &isDir), !isDir.boolValue { found.insert(p) }
        }
        return found
    }

    func testNamesFromDataStayInertAndInsideTheOutputFolder() throws {
        let root = try CLI.scratch()
        let work = root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let data = work + "/shapes.h5"
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", data, "--count", "4", "--size", "64", "--seed", "4"]).status, 0)
        let maps = work + "/=HYPERLINK(\"x\")<script>alert(1)<|script>.h5"
        let hostile = try CLI.python("""
        import h5py, sys, numpy as np
        names = [sys.argv[3], sys.argv[4], '../../escaped', 'a\\u0007b']
        with h5py.File(sys.argv[1], 'a') as f:
            del f['class_names']
            f['class_names'] = np.array([n.encode() for n in names], dtype=h5py.string_dtype('utf-8'))
            f['sample_names'] = np.array([n.encode() for n in names], dtype=h5py.string_dtype('utf-8'))
        yy, xx = np.mgrid[0:64, 0:64]
        h5py.File(sys.argv[2], 'w')['attributions'] = np.stack([np.sin(xx / (5.0 + k)) + yy / 64.0 for k in range(4)]).astype(np.float32)
        """, [data, maps, Self.script, Self.formula])
        XCTAssertEqual(hostile.status, 0, hostile.stderr)
        try """
        name: hostile
        dataset: shapes.h5
        model: \(CLI.repository.path)/models/shapes_cnn.onnx
        explainers:
          - precomputed: {file: '\(maps.split(separator: "/").last!.replacingOccurrences(of: "'", with: "''"))'}
          - saliency
        metrics: [deletion, pointing_game]
        """.write(toFile: work + "/suite.yaml", atomically: true, encoding: .utf8)
        let before = files(root)

        let out = root + "/out"
        let run = try CLI.run(["run", work + "/suite.yaml", "--out", out, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lime = try CLI.run(["figure", "lime", "--model", "models/shapes_cnn.onnx", "--dataset", data, "--indices", "0", "--labels", "4",
                                "--option", "samples=50", "--out", root + "/lime", "--quiet"])
        XCTAssertEqual(lime.status, 0, lime.stderr)

        // Only the output folders changed.
        let written = files(root).subtracting(before)
        XCTAssertFalse(written.isEmpty)
        for p in written { XCTAssertTrue(p.hasPrefix("out/") || p.hasPrefix("lime/"), "\(p) is outside the output folders") }
        XCTAssertTrue(written.contains { $0.hasPrefix("out/heatmaps/") }, "the report wrote heatmaps: \(written.sorted())")

        for p in written where p.hasSuffix(".html") || p.hasSuffix(".svg") {
            let text = try String(contentsOfFile: root + "/" + p, encoding: .utf8).lowercased()
            XCTAssertFalse(text.contains("<script"), p)
            XCTAssertFalse(text.contains("\u{7}"), p)
        }
        let page = try String(contentsOfFile: root + "/lime/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && page.contains("=HYPERLINK(&quot;"), "the class names are shown, as text")

        for p in written where p.hasSuffix(".csv") {
            let text = try String(contentsOfFile: root + "/" + p, encoding: .utf8)
            for line in text.split(separator: "\n") {
                for field in CLI.csvFields(String(line)) {
                    guard let first = field.first else { continue }
                    XCTAssertFalse("=+@\t\r".contains(first), "\(p): \(field)")
                    if first == "-" { XCTAssertNotNil(Double(field), "\(p): \(field)") }
                }
            }
        }
        XCTAssertTrue(try String(contentsOfFile: out + "/per_sample.csv", encoding: .utf8).contains("precomputed@"))
    }
}
