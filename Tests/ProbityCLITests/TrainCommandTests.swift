import Foundation
import XCTest
import ProbityCore
import ProbityData
import ProbityEngine
@testable import ProbityHarness

/// `probity model train` on a tiny dataset (24 shapes of 16 px, 1–2 epochs, so each training
/// takes well under a second): the learning rate follows the cosine schedule the code
/// documents at every step, `--shuffle-labels` trains on a seeded permutation of the training
/// labels, and the same command gives the same ONNX bytes.
final class TrainCommandTests: XCTestCase {
    /// 24 images of 16 px, a quarter of them held out.
    func tinyDataset(_ dir: String) throws -> String {
        let path = dir + "/tiny.h5"
        let r = try CLI.run(["dataset", "synth", "shapes", "--out", path, "--count", "24", "--size", "16", "--seed", "4", "--test-fraction", "0.25"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return path
    }

    /// An optimizer that records the learning rate of every update and applies it with the
    /// wrapped optimizer.
    struct Recording: Optimizer {
        var wrapped: any Optimizer
        var rates: [Float] = []
        var learningRate: Float {
            get { wrapped.learningRate }
            set { wrapped.learningRate = newValue }
        }
        mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
            rates.append(wrapped.learningRate)
            wrapped.update(&parameters, gradients: gradients)
        }
    }

    func rates(_ dataset: Dataset, _ options: ModelTraining.Options) throws -> [Float] {
        var training = try ModelTraining(dataset: dataset, options: options)
        training.trainer.optimizer = Recording(wrapped: training.trainer.optimizer)
        try training.run()
        return try XCTUnwrap(training.trainer.optimizer as? Recording).rates
    }

    /// `ModelTraining` documents "cosine decay of the learning rate to 0 over the epochs (per
    /// step)": before step t of T = epochs × steps per epoch, lr_t = lr · (1 + cos(π t / T)) / 2,
    /// so the first step uses lr itself and the rate never reaches 0. A schedule per epoch, over
    /// the wrong T, or a default rate other than the documented 3e-3 (Adam) and 0.05 (SGD) fails.
    func testCosineScheduleGivesTheClosedFormRateAtEveryStep() throws {
        let dataset = try Dataset(path: try tinyDataset(try CLI.scratch()))
        let train = dataset.split!.filter { $0 == 0 }.count
        var options = ModelTraining.Options()
        options.epochs = 2
        options.batch = 4
        let steps = train / 4, total = 2 * steps   // the last incomplete batch of an epoch is dropped
        XCTAssertGreaterThanOrEqual(steps, 3)
        for (kind, base) in [(ModelTraining.OptimizerKind.adam, 3e-3), (.sgd, 0.05)] {
            options.optimizer = kind
            let got = try rates(dataset, options)
            XCTAssertEqual(got.count, total, "\(kind): one update per full batch")
            for (t, rate) in got.enumerated() {
                let expected = base * (1 + cos(Double.pi * Double(t) / Double(total))) / 2
                XCTAssertEqual(Double(rate), expected, accuracy: 3e-7 * base, "\(kind) step \(t)")   // Float rounding only
            }
            XCTAssertEqual(Double(got[0]), base, accuracy: 1e-9, "\(kind): the first step uses the base rate")
        }
        // --lr sets the base; --constant-lr keeps it.
        options.optimizer = .sgd
        options.learningRate = 0.2
        XCTAssertEqual(Double(try rates(dataset, options)[steps]), 0.2 * (1 + cos(Double.pi * Double(steps) / Double(total))) / 2, accuracy: 1e-7)
        options.cosine = false
        XCTAssertEqual(try rates(dataset, options), [Float](repeating: 0.2, count: total))
    }

    /// `--shuffle-labels` trains on a permutation of the train split's labels: the same class
    /// counts, not the dataset's order, the same permutation for the same seed and another for
    /// another seed; and it is these labels the steps learn from (the weights differ from
    /// training on the true labels with everything else equal).
    func testShuffleLabelsTrainsOnASeededPermutation() throws {
        let dataset = try Dataset(path: try tinyDataset(try CLI.scratch()))
        let truth = dataset.indices(split: 0).map { dataset.labels[$0] }
        var options = ModelTraining.Options()
        options.epochs = 1
        options.batch = 4
        options.seed = 3
        XCTAssertEqual(try ModelTraining(dataset: dataset, options: options).trainLabels, truth, "without the flag, the dataset's labels")
        options.shuffleLabels = true
        let shuffled = try ModelTraining(dataset: dataset, options: options).trainLabels
        XCTAssertNotEqual(shuffled, truth)
        XCTAssertEqual(shuffled.sorted(), truth.sorted(), "a permutation: the same class counts")
        XCTAssertGreaterThan(zip(shuffled, truth).filter { $0 != $1 }.count, truth.count / 3, "more than a few swaps")
        XCTAssertEqual(try ModelTraining(dataset: dataset, options: options).trainLabels, shuffled, "the same seed, the same permutation")
        options.seed = 4
        XCTAssertNotEqual(try ModelTraining(dataset: dataset, options: options).trainLabels, shuffled, "another seed, another permutation")

        // The steps use them: one epoch with and without the flag, all else equal.
        options.seed = 3
        var withShuffle = try ModelTraining(dataset: dataset, options: options)
        try withShuffle.run()
        options.shuffleLabels = false
        var without = try ModelTraining(dataset: dataset, options: options)
        try without.run()
        let initial = try ModelTraining(dataset: dataset, options: options).trainer.parameters
        XCTAssertNotEqual(without.trainer.parameters.map(\.storage), initial.map(\.storage), "training moved the weights")
        XCTAssertNotEqual(withShuffle.trainer.parameters.map(\.storage), without.trainer.parameters.map(\.storage), "the shuffled labels reach the steps")
    }

    /// The same command gives byte-identical ONNX (initialization, batch order and label
    /// shuffling are seeded; nothing time-dependent is exported; the doc string records the
    /// command, `--out` included, so the same command means the same output path); another
    /// seed gives another model.
    func testSameSeedGivesByteIdenticalModels() throws {
        let dir = try CLI.scratch()
        let data = try tinyDataset(dir)
        /// Trains into `out` and returns the bytes, moving the file aside for the next run.
        func train(_ out: String, seed: String, _ extra: [String] = []) throws -> Data {
            let path = dir + "/" + out
            let r = try CLI.run(["model", "train", "--dataset", data, "--epochs", "2", "--batch", "4", "--seed", seed, "--out", path, "--json"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let epochs = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]], r.stdout)
            XCTAssertEqual(epochs.map { $0["epoch"] as? Int }, [1, 2])
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try FileManager.default.removeItem(atPath: path)
            return bytes
        }
        let a = try train("m.onnx", seed: "1"), b = try train("m.onnx", seed: "1")
        XCTAssertGreaterThan(a.count, 10_000)
        XCTAssertEqual(a, b, "the same command gives the same bytes")
        XCTAssertNotEqual(try train("m.onnx", seed: "2"), a, "another seed, another model")
        let s1 = try train("m.onnx", seed: "1", ["--shuffle-labels"]), s2 = try train("m.onnx", seed: "1", ["--shuffle-labels"])
        XCTAssertEqual(s1, s2, "shuffled labels are seeded too")
        XCTAssertNotEqual(s1, a)
        XCTAssertTrue(String(decoding: s1, as: UTF8.self).contains("--seed 1 --optimizer adam --shuffle-labels --out \(dir)/m.onnx"))
    }
}
