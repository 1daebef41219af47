import Foundation
import ProbityCore
import ProbityEngine
import ProbityONNX

/// `probity bench engine`: the numbers that say whether the engine is fast. Each figure is
/// the best of several timed runs after a warm-up (the best run is the least disturbed).
public struct EngineBenchmark: Sendable {
    public struct Figure: Sendable {
        public var name: String
        public var value: Double
        public var unit: String
        public var note: String
    }

    public var modelPath: String
    public var seconds: Double = 3
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    public init(modelPath: String, seconds: Double = 3) { self.modelPath = modelPath; self.seconds = seconds }

    /// Runs `body` repeatedly for about `budget` seconds; returns the fastest run in seconds.
    static func best(budget: Double, minRuns: Int = 3, _ body: () throws -> Void) rethrows -> Double {
        try body()   // warm-up
        var best = Double.infinity
        let start = Date()
        var runs = 0
        while runs < minRuns || Date().timeIntervalSince(start) < budget {
            let t = Date()
            try body()
            best = min(best, Date().timeIntervalSince(t))
            runs += 1
        }
        return best
    }

    /// sgemm GFLOP/s at n = 1024 with OpenBLAS on `threads` threads: the best of ~0.2 s runs
    /// over about half the time budget.
    public func sgemm(threads: Int, n: Int = 1024) -> Double {
        Benchmark.sgemm(n: n, threads: threads, repetitions: max(3, Int(seconds / 2 / 0.2))).high
    }

    /// Share of forward time per op type and kernel at `batch` (summed over a few passes).
    public func profile(batch: Int, backward: Bool = false) throws -> [(String, Double)] {
        let model = try ONNXModel(path: modelPath, threads: threads)
        var rng = RNG(seed: 2)
        let x = rng.uniformTensor(shape: [batch] + model.inputShape, -1, 1)
        _ = backward ? try model.profileBackward(x) : try model.profile(x)
        var total: [String: Double] = [:]
        for _ in 0..<3 { for (k, v) in try (backward ? model.profileBackward(x) : model.profile(x)) { total[k, default: 0] += v } }
        let sum = total.values.reduce(0, +)
        return total.sorted { $0.value > $1.value }.map { ($0.key, $0.value / sum) }
    }

    public func run(progress: ((String) -> Void)? = nil) throws -> [Figure] {
        var figures: [Figure] = []
        let model = try ONNXModel(path: modelPath, threads: threads)   // a bad model fails before the timing starts
        progress?("sgemm n=1024")
        let peak = sgemm(threads: threads)
        figures.append(Figure(name: "sgemm n=1024, \(threads) threads", value: peak, unit: "GFLOP/s", note: "OpenBLAS"))
        figures.append(Figure(name: "sgemm n=1024, 1 thread", value: sgemm(threads: 1), unit: "GFLOP/s", note: "OpenBLAS"))
        let flops = Double(try model.graph(batch: 1).flops)
        let name = (modelPath as NSString).lastPathComponent
        figures.append(Figure(name: "\(name) FLOPs per image", value: flops / 1e9, unit: "GFLOP", note: "2 × multiply-adds, from the graph"))
        var rng = RNG(seed: 2)
        for batch in [1, 32] {
            progress?("\(name) forward, batch \(batch)")
            let x = rng.uniformTensor(shape: [batch] + model.inputShape, -1, 1)
            let t = try EngineBenchmark.best(budget: seconds) { _ = try model.logits(x) }
            let imagesPerSecond = Double(batch) / t
            let gflops = flops * imagesPerSecond / 1e9
            figures.append(Figure(name: "\(name) forward, batch \(batch)", value: imagesPerSecond, unit: "images/s",
                                  note: String(format: "%.1f GFLOP/s = %.1f%% of sgemm", gflops, 100 * gflops / peak)))
            // Forward + backward to the input (what gradient explainers run), seeded by the top-1 logit.
            progress?("\(name) forward+backward, batch \(batch)")
            let tb = try EngineBenchmark.best(budget: seconds) {
                _ = try model.backward(x, rule: .gradient, hooks: []) { logits, _ in
                    var seed = Tensor(shape: logits.shape)
                    for (i, k) in logits.argmaxRows().enumerated() { seed.storage[i * logits.shape[1] + k] = 1 }
                    return seed
                }
            }
            figures.append(Figure(name: "\(name) forward+backward, batch \(batch)", value: Double(batch) / tb, unit: "images/s",
                                  note: String(format: "%.2f × the forward time", tb / t)))
        }
        return figures
    }
}
