import Foundation
import ProbityCore
import ProbityData
import ProbityEngine

/// A model's outputs on dataset samples: logits, softmax probabilities, top-1 classes.
public struct Predictions: Sendable {
    public var indices: [Int]
    public var logits: Tensor          // [N, classes]
    public var probabilities: Tensor   // [N, classes]
    public var top1: [Int]

    /// Runs `model` over the chosen samples, reading and running `batch` samples at a time.
    public static func compute(model: any Model, dataset: Dataset, indices: [Int], batch: Int = 32,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Predictions {
        guard batch >= 1 else { throw ProbityError.invalidArgument("--batch must be at least 1, got \(batch)") }
        guard [dataset.channels, dataset.height, dataset.width] == model.inputShape else {
            throw ProbityError.badInput(file: dataset.path, location: "/images",
                                        problem: "images are \(dataset.height)×\(dataset.width)×\(dataset.channels), the model takes [C, H, W] = \(model.inputShape)")
        }
        var parts: [Tensor] = []
        var done = 0
        // Contiguous runs are read as one hyperslab; scattered indices one by one.
        for chunk in stride(from: 0, to: indices.count, by: batch) {
            let ids = Array(indices[chunk..<min(chunk + batch, indices.count)])
            let x: Tensor
            if ids.last! - ids.first! == ids.count - 1 {
                x = try dataset.modelInput(ids.first!..<(ids.last! + 1))
            } else {
                x = Tensor.concatenate(batch: try ids.map { try dataset.modelInput($0..<($0 + 1)) })
            }
            parts.append(try model.logits(x))
            done += ids.count
            progress?(done, indices.count)
        }
        let logits = parts.isEmpty ? Tensor(shape: [0, 0]) : Tensor.concatenate(batch: parts)
        let probabilities = logits.softmaxLastAxis()
        return Predictions(indices: indices, logits: logits, probabilities: probabilities, top1: logits.argmaxRows())
    }

    /// The k most probable classes of sample row `row`, best first.
    public func top(_ k: Int, row: Int) -> [(label: Int, probability: Float)] {
        let n = probabilities.shape[1]
        let p = Array(probabilities.storage[(row * n)..<((row + 1) * n)])
        return p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(k).map { ($0, p[$0]) }
    }

    /// Writes `/logits`, `/probs`, `/top1` and `/indices` (the dataset sample of each row), atomically.
    public func write(to path: String, model: String, dataset: String) throws {
        let tmp = AtomicFile.temporaryPath(for: path)
        do {
            let f = try HDF5File(path: tmp, mode: .truncate)
            try f.write("/logits", logits.storage, shape: logits.shape)
            try f.write("/probs", probabilities.storage, shape: probabilities.shape)
            try f.write("/top1", top1.map { Int64($0) }, shape: [top1.count])
            try f.write("/indices", indices.map { Int64($0) }, shape: [indices.count])
            try f.setAttribute("model", .string(model))
            try f.setAttribute("dataset", .string(dataset))
            f.close()
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        try AtomicFile.commit(temporary: tmp, to: path)
    }
}
