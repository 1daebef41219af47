import ArgumentParser
import Foundation
import ProbityCore
import ProbityHarness

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (performance is measured here, never in unit tests).",
                                                    subcommands: [Suite.self, Engine.self], defaultSubcommand: Suite.self)

    struct Suite: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "all",
            abstract: "Every figure of issue 16 in one process: sgemm, forward and backward, every explainer, perturbation rates, threads, memory.")
        @Option(help: "Model to time.") var model = "models/efficientnet_lite0.onnx"
        @Option(help: "Images the explainers and metrics run on.") var dataset = "datasets/photos.h5"
        @Option(help: "Timings per figure (the median is reported, with the spread).") var repetitions = 5
        @Option(help: "Explainers to time, comma-separated (default: every built-in one).") var explainers: String?
        @Option(help: "Write the figures as JSON to this file.") var json: String?

        func run() throws {
            var bench = Benchmark(modelPath: model, datasetPath: dataset)
            bench.repetitions = repetitions
            bench.explainers = explainers.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let report = try bench.run { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) }
            print(BenchmarkTable.text(report))
            if let json { try AtomicFile.write(try report.figures.json() + Data("\n".utf8), to: json) }
        }
    }

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "sgemm GFLOP/s and model forward images/s at batch 1 and 32.")
        @Option(help: "Model to time.") var model = "models/efficientnet_lite0.onnx"
        @Option(help: "Seconds per measurement.") var seconds: Double = 3
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Also print the share of forward and of forward+backward time per op and kernel at batch 32.") var profile = false

        func run() throws {
            let bench = EngineBenchmark(modelPath: model, seconds: seconds)
            let figures = try bench.run { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) }
            if json {
                try printJSON(figures.map { ["name": $0.name, "value": $0.value, "unit": $0.unit, "note": $0.note] as [String: Any] })
                return
            }
            for f in figures {
                print(f.name.padding(toLength: 56, withPad: " ", startingAt: 0) + String(format: "%10.2f ", f.value) + f.unit.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + f.note)
            }
            if profile {
                print("\nshare of forward time, batch 32:")
                for (op, share) in try bench.profile(batch: 32) { print(String(format: "%6.1f%%  ", 100 * share) + op) }
                print("\nshare of forward+backward time, batch 32 (the forward of a plan that keeps activations, then backward):")
                for (op, share) in try bench.profile(batch: 32, backward: true) where share >= 0.005 { print(String(format: "%6.1f%%  ", 100 * share) + op) }
            }
        }
    }
}
