import Foundation
import XCTest
@testable import ProbityHarness

/// SHA-256 from libcrypto equals coreutils' `sha256sum` (the hashes caches and run.json record).
final class FileHashTests: XCTestCase {
    func testMatchesSha256sum() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("probity-empty-\(getpid())").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        for path in [repository + "/models/shapes_cnn.onnx", repository + "/datasets/photos.h5", empty] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(try FileHash.sha256(path), String(out.prefix(64)), path)
        }
        XCTAssertEqual(FileHash.sha256(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
