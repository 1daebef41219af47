import Foundation
import ProbityCore
import ProbityData
import ProbityEngine

/// A failure of an external explainer program (it could not start, exited non-zero, was killed
/// at its timeout, or wrote a response of the wrong shape, type or with non-finite values).
/// By default the command stops with this message; with `--keep-going` (or `keep_going: true`
/// in a suite) the samples are marked `failed` and the run goes on.
public struct ExplainerFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// An explainer in any language: Probity writes a request HDF5 and runs
/// `command… REQUEST.h5 RESPONSE.h5`. The request holds `/images` float32 [N, C, H, W] (as the
/// model sees them), `/targets` int64 [N], `/samples` int64 [N] (dataset indices) and the root
/// attributes `model` (the ONNX path), `seed`, `input_scale`, `input_offset`. The program writes
/// `/attributions` float32 [N, H, W] to RESPONSE.h5 and exits 0; exit status, shape, dtype and
/// finiteness are checked. `command` is the program and its arguments separated by spaces (or a
/// JSON array); it runs only because the suite or the command line names it. `timeout` bounds
/// each batch: past it the program and everything it started are killed. What it prints goes
/// to a log whose last lines end up in the error message, never to Probity's output.
/// `examples/external/captum_explainer.py` is a worked example.
public struct External: Explainer {
    public static let name = "external"
    public static let signed = true
    public var seeded: Bool { true }
    public static let summary = "An external program that reads a request HDF5 and writes /attributions (any language)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("command", default: "-", .text, "program and arguments (REQUEST.h5 RESPONSE.h5 are appended)"),
        OptionSpec("model", default: "-", .text, "model path passed in the request (set by probity explain)"),
        OptionSpec("timeout", default: "600", .double(0...1e7), "seconds one batch may take before the program is killed (0: no limit)"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        guard options.string("command") != "-" else { throw ProbityError.invalidArgument("external: give option command=PROGRAM ARGS…") }
        guard !arguments.isEmpty else { throw ProbityError.invalidArgument("external: empty command") }
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
        let log = dir.appendingPathComponent("output.log").path
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
        let program = args.removeFirst()
        let timeout = options.double("timeout")
        let outcome = ExternalProgram(program: program, arguments: args + [request, response], timeout: timeout > 0 ? timeout : nil).run(log: log)
        func tail() -> String {
            let text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
            let lines = text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            return lines.isEmpty ? "" : ": " + String(lines.prefix(600))
        }
        switch outcome {
        case .exited(0): break
        case .exited(let status): throw ExplainerFailure(message: "external explainer \(program) exited with status \(status)\(tail())")
        case .signalled(let signal): throw ExplainerFailure(message: "external explainer \(program) was killed by signal \(signal)\(tail())")
        case .timedOut: throw ExplainerFailure(message: "external explainer \(program) did not finish within its timeout of \(options.string("timeout")) s and was killed (option timeout=SECONDS)")
        case .couldNotStart(let reason): throw ExplainerFailure(message: "external explainer \(program) could not start: \(reason)")
        }
        guard FileManager.default.fileExists(atPath: response) else { throw ExplainerFailure(message: "external explainer \(program) exited 0 but wrote no response file") }
        let maps: [Float]
        let want = [batch.count, batch.height, batch.width]
        do {
            let f = try HDF5File(path: response)
            guard f.exists("/attributions") else { throw ExplainerFailure(message: "external explainer \(program): the response has no /attributions") }
            let info = try f.info("/attributions")
            guard info.shape == want else { throw ExplainerFailure(message: "external explainer \(program): /attributions has shape \(info.shape), expected \(want)") }
            guard info.kind == .float(bytes: 4) else { throw ExplainerFailure(message: "external explainer \(program): /attributions must be float32, is \(info.kind)") }
            maps = try f.read("/attributions", as: Float.self)
        } catch let e as ExplainerFailure { throw e } catch {
            throw ExplainerFailure(message: "external explainer \(program): unreadable response (\(error))")
        }
        let plane = batch.height * batch.width
        if let bad = maps.firstIndex(where: { !$0.isFinite }) {
            let count = maps.lazy.filter { !$0.isFinite }.count
            throw ExplainerFailure(message: "external explainer \(program): /attributions holds \(count) non-finite value\(count == 1 ? "" : "s") (first: \(maps[bad]) in the map of sample \(batch.samples[bad / plane]))")
        }
        return Attribution(maps: Tensor(shape: want, storage: maps))
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
