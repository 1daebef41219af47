import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityONNX

/// `probity model train`: trains a built-in architecture on a dataset's train split
/// (`/split` = 0) and reports accuracy on its test split (`/split` = 1).
///
/// Deterministic: initialization from (seed, "randomize", layer), the epoch order from
/// (seed, "epoch", e), label shuffling from (seed, "shuffle-labels"). `shuffleLabels` trains
/// the data-randomization twin of Adebayo et al. 2018: the training labels are permuted
/// at random, so the model can only memorize them.
public struct ModelTraining {
    public enum OptimizerKind: String, Sendable, CaseIterable { case adam, sgd }

    public struct Options: Sendable {
        public var arch = "small-cnn"
        public var epochs = 20
        public var batch = 32
        public var seed: UInt64 = 0
        public var optimizer = OptimizerKind.adam
        /// Default: 3e-3 for Adam, 0.05 for SGD.
        public var learningRate: Float? = nil
        public var momentum: Float = 0.9
        public var weightDecay: Float = 0
        /// Cosine decay of the learning rate to 0 over the epochs (per step).
        public var cosine = true
        public var shuffleLabels = false
        public init() {}
    }

    public struct Epoch: Sendable {
        public var epoch: Int
        public var loss: Double
        public var trainAccuracy: Double
        public var testAccuracy: Double
        public var seconds: Double
    }

    public static let architectures = ["small-cnn"]

    public let dataset: Dataset
    public let options: Options
    public private(set) var epochs: [Epoch] = []
    public let trainer: Trainer
    let trainIndices: [Int]
    let testIndices: [Int]
    let trainLabels: [Int]

    public init(dataset: Dataset, options: Options) throws {
        guard ModelTraining.architectures.contains(options.arch) else {
            throw ProbityError.invalidArgument("unknown architecture \(options.arch); available: \(ModelTraining.architectures.joined(separator: ", "))")
        }
        guard dataset.split != nil else {
            throw ProbityError.badFile(dataset.path, "training needs a /split dataset (0 = train, 1 = test); make one with `probity dataset synth shapes --test-fraction 0.2`")
        }
        guard options.epochs > 0, options.batch > 0 else { throw ProbityError.invalidArgument("--epochs and --batch must be positive") }
        if let lr = options.learningRate, !(lr > 0 && lr.isFinite) { throw ProbityError.invalidArgument("--lr must be a positive number, got \(lr)") }
        guard options.momentum >= 0 && options.momentum < 1 else { throw ProbityError.invalidArgument("--momentum must be in [0, 1), got \(options.momentum)") }
        guard options.weightDecay >= 0 && options.weightDecay.isFinite else { throw ProbityError.invalidArgument("--weight-decay must be 0 or positive, got \(options.weightDecay)") }
        self.dataset = dataset
        self.options = options
        trainIndices = dataset.indices(split: 0)
        testIndices = dataset.indices(split: 1)
        guard trainIndices.count >= options.batch else {
            throw ProbityError.badFile(dataset.path, "the train split has \(trainIndices.count) samples, fewer than one batch of \(options.batch)")
        }
        var labels = trainIndices.map { dataset.labels[$0] }
        if options.shuffleLabels {
            var rng = RNG(seed: options.seed, stream: ["shuffle-labels"])
            labels.shuffle(using: &rng)
        }
        trainLabels = labels
        let network = SmallCNN(inputShape: [dataset.channels, dataset.height, dataset.width], classes: dataset.classCount)
        let optimizer: any Optimizer
        switch options.optimizer {
        case .adam: optimizer = Adam(learningRate: options.learningRate ?? 3e-3, weightDecay: options.weightDecay)
        case .sgd: optimizer = SGD(learningRate: options.learningRate ?? 0.05, momentum: options.momentum, weightDecay: options.weightDecay)
        }
        trainer = Trainer(network: network, parameters: try network.initialParameters(seed: options.seed), optimizer: optimizer)
    }

    /// Model inputs for the given samples, [n, C, H, W].
    func inputs(_ samples: [Int]) throws -> Tensor {
        Tensor.concatenate(batch: try samples.map { try dataset.modelInput($0..<($0 + 1)) })
    }

    /// Accuracy of the current parameters on `samples` with `labels`.
    public func accuracy(_ samples: [Int], labels: [Int]) throws -> Double {
        guard !samples.isEmpty else { return .nan }
        var correct = 0
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + 256)
            let logits = try trainer.logits(try inputs(Array(samples[start..<end])))
            correct += zip(logits.argmaxRows(), labels[start..<end]).filter { $0 == $1 }.count
            start = end
        }
        return Double(correct) / Double(samples.count)
    }

    /// Trains for `options.epochs` epochs (the last incomplete batch of each epoch is dropped).
    public mutating func run(progress: ((Epoch) -> Void)? = nil) throws {
        let all = try inputs(trainIndices)
        let per = all.count / trainIndices.count
        let steps = trainIndices.count / options.batch
        let baseRate = trainer.optimizer.learningRate
        for e in 0..<options.epochs {
            let started = Date()
            var order = Array(trainIndices.indices)
            var rng = RNG(seed: options.seed, stream: ["epoch", .number(e)])
            order.shuffle(using: &rng)
            var loss = 0.0, correct = 0
            for s in 0..<steps {
                if options.cosine {
                    let t = Double(e * steps + s) / Double(options.epochs * steps)
                    trainer.optimizer.learningRate = baseRate * Float(0.5 * (1 + cos(Double.pi * t)))
                }
                let rows = order[(s * options.batch)..<((s + 1) * options.batch)]
                var x = Tensor(shape: [options.batch] + Array(all.shape.dropFirst()))
                for (k, r) in rows.enumerated() {
                    x.storage.replaceSubrange((k * per)..<((k + 1) * per), with: all.storage[(r * per)..<((r + 1) * per)])
                }
                let result = try trainer.step(x, labels: rows.map { trainLabels[$0] })
                loss += result.loss
                correct += result.correct
            }
            let test = try accuracy(testIndices, labels: testIndices.map { dataset.labels[$0] })
            let epoch = Epoch(epoch: e + 1, loss: loss / Double(steps), trainAccuracy: Double(correct) / Double(steps * options.batch),
                              testAccuracy: test, seconds: Date().timeIntervalSince(started))
            epochs.append(epoch)
            progress?(epoch)
        }
    }

    /// Writes the trained model as ONNX, with the training command and accuracy in its doc string.
    public func export(to path: String, command: String) throws {
        let last = epochs.last
        let doc = "\(options.arch) trained by Probity: \(command); test accuracy \(last.map { String(format: "%.4f", $0.testAccuracy) } ?? "n/a")" +
            (options.shuffleLabels ? " (labels shuffled: the data-randomization twin)" : "")
        try ONNXExporter.export(try trainer.graph(), to: path, docString: doc)
    }
}
