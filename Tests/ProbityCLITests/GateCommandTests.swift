import Foundation
import XCTest

/// `probity gate` and `probity compare` as a CI job calls them: exit 0 pass, 1 fail, 2 bad
/// input; JUnit and Markdown written; a regression against a baseline found by a paired test.
final class GateCommandTests: XCTestCase {
    /// Two runs of one small suite: the trained shapes CNN, and the same network trained on
    /// shuffled labels (a candidate that learned nothing).
    func runs(_ dir: String) throws -> (good: String, bad: String) {
        XCTAssertEqual(try CLI.run(["dataset", "synth", "shapes", "--out", dir + "/shapes.h5", "--count", "48", "--size", "64", "--seed", "5", "--test-fraction", "0.5"]).status, 0)
        for (name, model) in [("good", "shapes_cnn"), ("bad", "shapes_cnn_shuffled")] {
            try """
            dataset: shapes.h5
            model: \(CLI.repository.path)/models/\(model).onnx
            samples: {split: test}
            explainers: [gradcam, saliency]
            metrics: [pointing_game, relevance_mass]
            """.write(toFile: dir + "/\(name).yaml", atomically: true, encoding: .utf8)
            let r = try CLI.run(["run", dir + "/\(name).yaml", "--out", dir + "/\(name)", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        return (dir + "/good", dir + "/bad")
    }

    func testGateExitCodesReportsAndRegression() throws {
        let dir = try CLI.scratch()
        let (good, bad) = try runs(dir)
        try "rules:\n  - {explainer: gradcam, metric: relevance_mass, min: 0.2}\n  - {explainer: gradcam, metric: relevance_mass, max_drop: 0.1, against: baseline}\n"
            .write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
        let pass = try CLI.run(["gate", "--policy", dir + "/policy.yaml", "--run", good, "--baseline", good, "--junit", dir + "/gate.xml", "--markdown", dir + "/gate.md"])
        XCTAssertEqual(pass.status, 0, pass.stdout + pass.stderr)
        XCTAssertTrue(pass.stdout.hasPrefix("gate PASSED: 2 of 2 rules hold"), pass.stdout)
        XCTAssertTrue(try String(contentsOfFile: dir + "/gate.xml", encoding: .utf8).contains("tests=\"2\" failures=\"0\""))
        XCTAssertTrue(try String(contentsOfFile: dir + "/gate.md", encoding: .utf8).contains("✅ passed"))
        // The shuffled-label candidate: far less of its Grad-CAM's relevance lies on the shape (0.44 → 0.25).
        let fail = try CLI.run(["gate", "--policy", dir + "/policy.yaml", "--run", bad, "--baseline", good, "--junit", dir + "/gate.xml"])
        XCTAssertEqual(fail.status, 1, fail.stdout + fail.stderr)
        XCTAssertTrue(fail.stdout.contains("FAIL  relevance_mass of gradcam drops ≤ 0.1 vs baseline"), fail.stdout)
        XCTAssertTrue(try String(contentsOfFile: dir + "/gate.xml", encoding: .utf8).contains("<failure message=\"dropped"))
        // Bad input: a rule naming an explainer the run lacks, a broken policy.
        try "rules: [{explainer: lime, metric: pointing_game, min: 0}]\n".write(toFile: dir + "/lime.yaml", atomically: true, encoding: .utf8)
        let lacks = try CLI.run(["gate", "--policy", dir + "/lime.yaml", "--run", good])
        XCTAssertEqual(lacks.status, 2)
        XCTAssertEqual(lacks.stderr, "probity: error: \(dir)/lime.yaml: rule at line 1: explainer lime is not in \(good) (it has gradcam, saliency)\n")
        try "rules: [{explainer: gradcam\n".write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let broken = try CLI.run(["gate", "--policy", dir + "/broken.yaml", "--run", good])
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.stderr.hasPrefix("probity: error: \(dir)/broken.yaml: is not valid YAML: line"), broken.stderr)
        let noRun = try CLI.run(["gate", "--policy", dir + "/policy.yaml", "--run", dir + "/nothing"])
        XCTAssertEqual(noRun.status, 2)
        XCTAssertTrue(noRun.stderr.contains("\(dir)/nothing/summary.csv: missing"), noRun.stderr)

        // compare: the same explainers on both models, paired on the shared samples.
        let cmp = try CLI.run(["compare", good, bad, "--csv", dir + "/cmp.csv", "--html", dir + "/cmp.html"])
        XCTAssertEqual(cmp.status, 0, cmp.stderr)
        let rows = try String(contentsOfFile: dir + "/cmp.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 2 * 2)
        XCTAssertTrue(rows.contains { $0.hasPrefix("relevance_mass,gradcam,") && $0.hasSuffix(",worse") }, rows.joined(separator: "\n"))
        let html = try String(contentsOfFile: dir + "/cmp.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<script") || html.contains("http://") || html.contains("https://"))
        // Named runs (two models): the columns and the verdict say which run scored better.
        let named = try CLI.run(["compare", good, bad, "--names", "good,shuffled", "--html", dir + "/named.html"])
        XCTAssertEqual(named.status, 0, named.stderr)
        let lines = named.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.prefix(2), ["good = \(good)", "shuffled = \(bad)"])
        XCTAssertTrue(lines[2].contains("good") && lines[2].contains("shuffled − good") && lines[2].hasSuffix("verdict"), lines[2])
        XCTAssertTrue(lines.contains { $0.hasPrefix("relevance_mass ↑") && $0.contains("gradcam") && $0.hasSuffix("good better") }, named.stdout)
        let namedHTML = try String(contentsOfFile: dir + "/named.html", encoding: .utf8)
        XCTAssertTrue(namedHTML.contains("<h1>good and shuffled: the same explainers and metrics on the same samples</h1>"))
        XCTAssertTrue(namedHTML.contains("<td class=\"a\">good better</td>"))
        for names in ["CNN", "CNN,CNN", "CNN,", "a,b,c"] {
            let refused = try CLI.run(["compare", good, good, "--names", names])
            XCTAssertEqual(refused.status, 2, names)
            XCTAssertTrue(refused.stderr.contains("--names wants two different names separated by a comma"), refused.stderr)
        }
    }
}
