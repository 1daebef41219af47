import Foundation
import XCTest
@testable import ProbityONNX

/// ONNX's backend test data (Debian `libonnx-testdata`, installed by `make setup`) over the
/// committed allowlist `conformance.txt`. Prints a pass table per op; any failure fails.
final class ConformanceTests: XCTestCase {
    struct Entry { var test: String; var run: Bool; var ops: [String]; var reason: String }

    static func allowlist() throws -> [Entry] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("conformance.txt")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Entry(test: f[0], run: f[1] == "run", ops: f[2].split(separator: ",").map(String.init), reason: f.count > 3 ? f[3] : "")
        }
    }

    func testAllowlistedTestsPass() throws {
        try ConformanceTests.requireTestData()
        let entries = try ConformanceTests.allowlist()
        var table: [String: (pass: Int, fail: Int, skip: Int)] = [:]
        for e in entries {
            let key = e.ops.joined(separator: "+")
            guard e.run else { table[key, default: (0, 0, 0)].skip += 1; continue }
            let outcome = ConformanceRunner.run(e.test)
            XCTAssertTrue(outcome.passed, "\(e.test): \(outcome.detail)")
            if outcome.passed { table[key, default: (0, 0, 0)].pass += 1 } else { table[key, default: (0, 0, 0)].fail += 1 }
        }
        print("ONNX conformance (rtol 1e-3, atol 1e-7): ops | passed | failed | excluded")
        for (ops, t) in table.sorted(by: { $0.key < $1.key }) { print("  \(ops) | \(t.pass) | \(t.fail) | \(t.skip)") }
        let total = table.values.reduce((0, 0, 0)) { ($0.0 + $1.pass, $0.1 + $1.fail, $0.2 + $1.skip) }
        print("  total | \(total.0) | \(total.1) | \(total.2)")
        // The count is part of the claim: a case moved from "run" to excluded shows up here.
        XCTAssertEqual(total.0, ConformanceTests.expectedPasses, "conformance cases that run and pass (README: Supported ONNX ops)")
    }

    /// Cases that run and pass today (README: "426 passed, 0 failed, 53 excluded").
    static let expectedPasses = 426

    /// The ONNX test data, or a skip — but in CI (`CI=true`) a missing prerequisite is a failure.
    static func requireTestData() throws {
        if FileManager.default.fileExists(atPath: ConformanceRunner.root) { return }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("libonnx-testdata is not installed at \(ConformanceRunner.root); CI must run the conformance tests (make setup installs it)")
        }
        throw XCTSkip("libonnx-testdata is not installed (make setup installs it)")
    }

    /// Every test whose ops the importer supports is in the allowlist, so it cannot go stale:
    /// a missing candidate (an op newly supported) fails with the line to add, its outcome
    /// already run (`run`, or `skip` with the failure to explain); and each entry's ops column
    /// is the ops its model really uses.
    func testAllowlistCoversEveryCandidate() throws {
        try ConformanceTests.requireTestData()
        let entries = try ConformanceTests.allowlist()
        let listed = Set(entries.map(\.test))
        let supported = Set(ONNXImporter.converters.keys)
        for suite in ["node", "pytorch-converted", "pytorch-operator", "simple"] {
            for test in try FileManager.default.contentsOfDirectory(atPath: "\(ConformanceRunner.root)/\(suite)").sorted() {
                let name = "\(suite)/\(test)"
                guard !listed.contains(name), let ops = try? ConformanceRunner.opTypes(name), ops.isSubset(of: supported) else { continue }
                let outcome = ConformanceRunner.run(name)
                XCTFail("\(name) uses only supported ops but is not in conformance.txt; add:\n\(name)\t\(outcome.passed ? "run" : "skip")\t\(ops.sorted().joined(separator: ","))\t\(outcome.passed ? "" : "<why: \(outcome.detail)>")")
            }
        }
        for e in entries {
            XCTAssertEqual(e.ops, try ConformanceRunner.opTypes(e.test).sorted(), "\(e.test): the ops column of conformance.txt")
        }
    }
}
