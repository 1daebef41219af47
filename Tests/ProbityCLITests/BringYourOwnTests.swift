import Foundation
import XCTest
import ProbityData

/// The README's "Bring your own model and data" walk-through, run as written: its `probity`
/// lines and its suite are read from README.md, so a command shown there that stops working
/// (or an edit that breaks one) fails here. "Your" data is a folder of PNGs in class subfolders
/// made from the bundled shapes; "your" model is `models/shapes_cnn.onnx`.
final class BringYourOwnTests: XCTestCase {
    /// The section's fenced blocks of one language, in order.
    static func blocks(_ language: String) throws -> [String] {
        let readme = try String(contentsOf: CLI.repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "\n## Bring your own model and data\n") else { return [] }
        let rest = readme[start.upperBound...]
        let section = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        var found: [String] = [], current: [String]? = nil
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```\(language)" { current = [] } else if current != nil, line == "```" { found.append(current!.joined(separator: "\n")); current = nil } else { current?.append(String(line)) }
        }
        return found
    }

    /// Writes `count` test-split shapes as `DIR/<class>/<index>.png` and the model's class order.
    func makeFolder(_ dir: String, count: Int) throws {
        let shapes = try Dataset(path: CLI.repository.appendingPathComponent("datasets/shapes.h5").path)
        let names = try XCTUnwrap(shapes.classNames)
        for i in shapes.indices(split: 1).prefix(count) {
            let folder = dir + "/my_pngs/" + names[shapes.labels[i]]
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try PNGImage(width: shapes.width, height: shapes.height, channels: shapes.channels, pixels: try shapes.pixels(i..<(i + 1)))
                .write(to: folder + String(format: "/%04d.png", i))
        }
        try (names.joined(separator: "\n") + "\n").write(toFile: dir + "/classes.txt", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: CLI.repository.appendingPathComponent("models/shapes_cnn.onnx").path, toPath: dir + "/my_cnn.onnx")
    }

    func testTheWalkThroughRunsAsWritten() throws {
        let dir = try CLI.scratch()
        try makeFolder(dir, count: 48)
        let suites = try BringYourOwnTests.blocks("yaml")
        XCTAssertEqual(suites.count, 1, "the section shows one suite")
        try XCTUnwrap(suites.first).write(toFile: dir + "/my_suite.yaml", atomically: true, encoding: .utf8)
        let commands = try BringYourOwnTests.blocks("sh").flatMap { $0.split(separator: "\n") }.map(String.init)
        XCTAssertGreaterThanOrEqual(commands.count, 7)
        var outputs: [String: String] = [:]
        for line in commands {
            let words = line.split(separator: " ").map(String.init)
            XCTAssertEqual(words.first, "probity", "only probity commands in the walk-through's shell blocks: \(line)")
            let r = try CLI.run(Array(words.dropFirst()), in: URL(fileURLWithPath: dir))
            XCTAssertEqual(r.status, 0, "\(line)\n\(r.stderr)")
            outputs[words.dropFirst().prefix(2).joined(separator: " ")] = r.stdout
        }
        XCTAssert(outputs["dataset import-images"]?.contains("wrote 48 images of 64×64×3 to my.h5") ?? false, outputs["dataset import-images"] ?? "")
        // With the model's class order the labels agree with it; the accuracy line says so.
        let accuracy = try XCTUnwrap(outputs["model predict"]?.split(separator: "\n").last)
        XCTAssert(accuracy.hasPrefix("top-1 accuracy against the dataset's labels: "), String(accuracy))
        let correct = Int(accuracy.split(separator: "(")[1].split(separator: " ")[0]) ?? 0
        XCTAssertGreaterThanOrEqual(correct, 46, String(accuracy))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/my_overlays").filter { $0.hasSuffix(".png") }.count, 48)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/my_eval/summary.csv"))
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/my_run/report.html"))
        let ranking = try XCTUnwrap(outputs["run my_suite.yaml"]).split(separator: "\n").filter { !$0.hasPrefix(" ") }
        XCTAssert(ranking.contains { $0.hasPrefix("random ") }, ranking.joined(separator: "\n"))
        XCTAssert(ranking.contains { $0.hasPrefix("16 samples, 4 explainers") }, ranking.joined(separator: "\n"))

        // Without --class-names the sorted folders (circle, cross, square, triangle) are not the
        // model's order (circle, square, triangle, cross), and predict's accuracy shows it.
        XCTAssertEqual(try CLI.run(["dataset", "import-images", "my_pngs", "--out", "sorted.h5", "--scale", "2", "--offset", "-1", "--quiet"], in: URL(fileURLWithPath: dir)).status, 0)
        let wrong = try CLI.run(["model", "predict", "my_cnn.onnx", "--dataset", "sorted.h5", "--quiet"], in: URL(fileURLWithPath: dir))
        let wrongCorrect = Int(wrong.stdout.split(separator: "\n").last?.split(separator: "(")[1].split(separator: " ")[0] ?? "") ?? 48
        XCTAssertLessThan(wrongCorrect, 30, wrong.stdout)
        // A names file that misses a folder is refused.
        try "circle\nsquare\n".write(toFile: dir + "/two.txt", atomically: true, encoding: .utf8)
        let missing = try CLI.run(["dataset", "import-images", "my_pngs", "--out", "two.h5", "--class-names", "two.txt"], in: URL(fileURLWithPath: dir))
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "probity: error: two.txt: does not name the class folder `cross` (line k names class k; every folder must be listed)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/two.h5"))
    }
}
