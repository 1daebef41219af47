import Foundation
import XCTest
import ProbityCore

/// Paths of committed fixtures and fresh scratch folders for tests.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent()
}

func scratchDirectory(_ name: String = #function) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-tests-\(getpid())-\(name.filter { $0.isLetter || $0.isNumber })")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}

/// Asserts that `body` throws a `ProbityError.badInput` that names `file` and contains `fragment`.
func assertBadInput<T>(_ body: @autoclosure () throws -> T, file path: String, mentions fragment: String,
                       file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning \(fragment)", file: file, line: line)
    } catch let error as ProbityError {
        let text = error.description
        XCTAssertTrue(text.contains(path), "error does not name the file: \(text)", file: file, line: line)
        XCTAssertTrue(fragment.isEmpty || text.contains(fragment), "error does not mention \(fragment): \(text)", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// Runs Debian's python3 (which has python3-h5py) on a script; returns stdout.
func runPython(_ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, String(decoding: errData, as: UTF8.self), file: file, line: line)
    return String(decoding: data, as: UTF8.self)
}
