import Foundation
import ProbityCore
import ProbityData
import ProbityEngine

/// A failure of an external explainer program: the run marks the samples `failed` and goes on.
public struct ExplainerFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// An explainer in any language: Probity writes a request HDF5 and runs
/// `command… REQUEST.h5 RESPONSE.h5`. The request holds `/images` float32 [N, C, H, W] (as the
/// model sees them), `/targets` int64 [N], `/samples` int64 [N] (dataset indices) and the root
/// attributes `model` (the ONNX path), `seed`, `input_scale`, `input_offset`. The program writes
/// `/attributions` float32 [N, H, W] to RESPONSE.h5 and exits 0; shape, dtype and exit status
/// are checked. `command` is the program and its arguments separated by spaces (or a JSON array).
/// `examples/external/captum_explainer.py` is a worked example.
public struct External: Explainer {
    public static let name = "external"
    public static let signed = true
    public var seeded: Bool { true }
    public static let summary = "An external program that reads a request HDF5 and writes /attributions (any language)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("command", default: "-", .text, "program and arguments (REQUEST.h5 RESPONSE.h5 are appended)"),
        OptionSpec("model", default: "-", .text, "model path passed in the request (set by probity explain)"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        guard options.string("command") != "-" else { throw ProbityError.invalidArgument("external: give option command=PROGRAM ARGS…") }
    }

    var arguments: [String] {
        let c = options.string("command")
        if c.hasPrefix("["), let data = c.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [String] { return list }
        return c.split(separator: " ").map(String.init)
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-external-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let request = dir.appendingPathComponent("request.h5").path, response = dir.appendingPathComponent("response.h5").path
        do {
            let f = try HDF5File(path: request, mode: .truncate)
            try f.write("/images", batch.x.storage, shape: batch.x.shape)
            try f.write("/targets", batch.targets.map(Int64.init), shape: [batch.count])
            try f.write("/samples", batch.samples.map(Int64.init), shape: [batch.count])
            try f.setAttribute("model", .string(options.string("model")))
            try f.setAttribute("seed", .integers([Int64(bitPattern: batch.seed)]))
            try f.setAttribute("input_scale", .floats(batch.preprocessing.scale.map(Double.init)))
            try f.setAttribute("input_offset", .floats(batch.preprocessing.offset.map(Double.init)))
            f.close()
        }
        var args = arguments
        guard !args.isEmpty else { throw ProbityError.invalidArgument("external: empty command") }
        let process = Process()
        let program = args.removeFirst()
        process.executableURL = URL(fileURLWithPath: program.contains("/") ? program : "/usr/bin/env")
        process.arguments = (program.contains("/") ? [] : [program]) + args + [request, response]
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw ExplainerFailure(message: "external explainer \(program) could not start: \(error)") }
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: stderr, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ExplainerFailure(message: "external explainer \(program) exited with status \(process.terminationStatus): \(tail)")
        }
        guard FileManager.default.fileExists(atPath: response) else { throw ExplainerFailure(message: "external explainer \(program) wrote no \(response)") }
        do {
            let f = try HDF5File(path: response)
            let info = try f.info("/attributions")
            let want = [batch.count, batch.height, batch.width]
            guard info.shape == want else { throw ExplainerFailure(message: "external explainer \(program): /attributions has shape \(info.shape), expected \(want)") }
            guard info.kind == .float(bytes: 4) else { throw ExplainerFailure(message: "external explainer \(program): /attributions must be float32, is \(info.kind)") }
            return Attribution(maps: Tensor(shape: want, storage: try f.read("/attributions", as: Float.self)))
        } catch let e as ExplainerFailure { throw e } catch {
            throw ExplainerFailure(message: "external explainer \(program): unreadable response (\(error))")
        }
    }
}

/// Maps computed elsewhere: rows of any float HDF5 dataset [N, H, W] (as h5py writes it),
/// indexed by dataset sample.
public struct Precomputed: Explainer {
    public static let name = "precomputed"
    public static let signed = true
    public static let summary = "Maps read from an HDF5 file: dataset [N, H, W] indexed by sample"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("file", default: "-", .text, "HDF5 file"),
        OptionSpec("dataset", default: "/attributions", .text, "dataset inside it"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        guard options.string("file") != "-" else { throw ProbityError.invalidArgument("precomputed: give option file=PATH") }
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let path = options.string("file"), name = options.string("dataset")
        let f = try HDF5File(path: path)
        guard f.exists(name) else { throw ProbityError.badFile(path, "no dataset \(name)") }
        let info = try f.info(name)
        guard info.shape.count == 3, info.shape[1] == batch.height, info.shape[2] == batch.width else {
            throw ProbityError.badFile(path, "\(name) has shape \(info.shape), expected [N, \(batch.height), \(batch.width)]")
        }
        var maps = Tensor(shape: [batch.count, batch.height, batch.width])
        let plane = batch.height * batch.width
        for (j, s) in batch.samples.enumerated() {
            guard s < info.shape[0] else { throw ProbityError.badFile(path, "\(name) has \(info.shape[0]) rows, sample \(s) asked for") }
            let row: [Float]
            switch info.kind {
            case .float(bytes: 8): row = try f.read(name, rows: s..<(s + 1), as: Double.self).map(Float.init)
            default: row = try f.read(name, rows: s..<(s + 1), as: Float.self)
            }
            maps.storage.replaceSubrange((j * plane)..<((j + 1) * plane), with: row)
        }
        return Attribution(maps: maps)
    }
}
