import Foundation
import XCTest

/// Every relative link in the READMEs resolves inside a clone: to a file or folder of the
/// repository, and, with `#anchor`, to a heading of that Markdown file (GitHub's anchor rule:
/// lowercased, punctuation but `-` and `_` dropped, spaces to `-`). Links inside fenced code
/// blocks and absolute URLs are not checked.
final class ReadmeLinksTests: XCTestCase {
    static func anchors(of markdown: String) -> Set<String> {
        var found = Set<String>(), fenced = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            let slug = title.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }
            found.insert(slug.replacingOccurrences(of: " ", with: "-"))
        }
        return found
    }

    static func links(in markdown: String) -> [String] {
        var out: [String] = [], fenced = false
        let pattern = try! NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle(); continue }
            guard !fenced else { continue }
            let text = String(line)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                out.append(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        return out
    }

    func testEveryRelativeLinkResolves() throws {
        let root = CLI.repository
        var checked = 0
        for file in ["README.md", "metrics/README.md", "datasets/README.md", "models/README.md", "deploy/README.md"] {
            let url = root.appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { XCTAssertNotEqual(file, "README.md"); continue }
            for link in ReadmeLinksTests.links(in: text) where !link.contains("://") && !link.hasPrefix("mailto:") {
                checked += 1
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let target = parts[0].isEmpty ? url : url.deletingLastPathComponent().appendingPathComponent(parts[0]).standardized
                XCTAssert(target.path.hasPrefix(root.standardized.path), "\(file): \(link) points outside the repository")
                XCTAssert(FileManager.default.fileExists(atPath: target.path), "\(file): \(link): no such file in the repository")
                if parts.count == 2, target.pathExtension == "md", let linked = try? String(contentsOf: target, encoding: .utf8) {
                    XCTAssert(ReadmeLinksTests.anchors(of: linked).contains(parts[1]), "\(file): \(link): no heading with that anchor")
                }
            }
        }
        XCTAssertGreaterThan(checked, 8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertFalse(readme.contains("DESIGN.md"), "the README refers to a design file that is not in the repository")
    }
}
