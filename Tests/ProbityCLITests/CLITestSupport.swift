import Foundation
import XCTest

/// Runs the built `probity` as a process, as a user would, and checks output and exit status
/// (the pattern of swift-argument-parser's `AssertExecuteCommand`).
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The fields of one CSV line (quoted fields may hold commas and doubled quotes).
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false, previous: Character = ","
        for c in line {
            if c == "\"" {
                if quoted { quoted = false } else { if previous == "\"" { field.append(c) }; quoted = true }
            } else if c == "," && !quoted { fields.append(field); field = "" } else { field.append(c) }
            previous = c
        }
        return fields + [field]
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("probity") }

    /// Runs `probity arguments`; a command still running after `timeout` seconds is killed
    /// (its status is then SIGKILL's, which no test expects), so a hang fails instead of
    /// stalling the suite.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL = repository, timeout: Double? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // Output goes to files, so a chatty command can never block on a full pipe.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("probity-cli-\(UUID().uuidString)")
        XCTAssertTrue(FileManager.default.createFile(atPath: base.path + ".out", contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: base.path + ".err", contents: nil))
        defer { try? FileManager.default.removeItem(atPath: base.path + ".out"); try? FileManager.default.removeItem(atPath: base.path + ".err") }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base.path + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base.path + ".err"))
        try process.run()
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let outData = try Data(contentsOf: URL(fileURLWithPath: base.path + ".out"))
        let errData = try Data(contentsOf: URL(fileURLWithPath: base.path + ".err"))
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a Python snippet with Debian's python3 (which has h5py; `make setup` installs it).
    @discardableResult
    static func python(_ script: String, _ arguments: [String]) throws -> CommandResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("probity-py-\(UUID().uuidString).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [file.path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func scratch(_ name: String = #function) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-cli-\(getpid())-\(name.filter { $0.isLetter })")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}
