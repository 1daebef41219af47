import ArgumentParser
import Foundation
import ProbityCore
import ProbityData
import ProbityHarness

struct ModelTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a built-in architecture on a dataset with a /split and export it as ONNX.",
        discussion: "Prints loss, running train accuracy and test accuracy per epoch. --shuffle-labels permutes the training labels (the data-randomization twin of the sanity checks).")
    @Option(help: "Dataset with /split (0 = train, 1 = test).") var dataset: String
    @Option(help: "Architecture: \(ModelTraining.architectures.joined(separator: ", ")).") var arch: String = "small-cnn"
    @Option(help: "Epochs.") var epochs: Int = 20
    @Option(help: "Minibatch size.") var batch: Int = 32
    @Option(help: "Random seed (initialization, batch order, label shuffling).") var seed: UInt64 = 0
    @Option(help: "Optimizer: adam or sgd (with momentum).") var optimizer: String = "adam"
    @Option(name: .customLong("lr"), help: "Learning rate (default 3e-3 for adam, 0.05 for sgd), decayed by a cosine schedule.") var learningRate: Float?
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(help: "L2 weight decay.") var weightDecay: Float = 0
    @Flag(help: "Keep the learning rate constant (no cosine decay).") var constantLR = false
    @Flag(help: "Permute the training labels at random.") var shuffleLabels = false
    @Option(help: "Output ONNX model.") var out: String
    @Flag(help: "Print the per-epoch table as JSON.") var json = false

    func run() throws {
        var options = ModelTraining.Options()
        options.arch = arch
        options.epochs = epochs
        options.batch = batch
        options.seed = seed
        guard let kind = ModelTraining.OptimizerKind(rawValue: optimizer) else {
            throw ProbityError.invalidArgument("unknown optimizer \(optimizer); use adam or sgd")
        }
        options.optimizer = kind
        options.learningRate = learningRate
        options.momentum = momentum
        options.weightDecay = weightDecay
        options.cosine = !constantLR
        options.shuffleLabels = shuffleLabels
        var training = try ModelTraining(dataset: try Dataset(path: dataset), options: options)
        try AtomicFile.createFolder(for: out)   // a bad --out fails now, not after the training
        if !json { print("epoch\tloss\ttrain_acc\ttest_acc\tseconds") }
        try training.run { e in
            if !json { print(String(format: "%d\t%.4f\t%.4f\t%.4f\t%.1f", e.epoch, e.loss, e.trainAccuracy, e.testAccuracy, e.seconds)) }
        }
        var command = "probity model train --dataset \(dataset) --arch \(arch) --epochs \(epochs) --batch \(batch) --seed \(seed) --optimizer \(optimizer)"
        if let learningRate { command += " --lr \(learningRate)" }
        if weightDecay != 0 { command += " --weight-decay \(weightDecay)" }
        if constantLR { command += " --constant-lr" }
        if shuffleLabels { command += " --shuffle-labels" }
        command += " --out \(out)"
        try training.export(to: out, command: command)
        if json {
            try printJSON(training.epochs.map { ["epoch": $0.epoch, "loss": $0.loss, "train_accuracy": $0.trainAccuracy, "test_accuracy": $0.testAccuracy, "seconds": $0.seconds] as [String: Any] })
        } else {
            let total = training.epochs.reduce(0) { $0 + $1.seconds }
            print("wrote \(out) (test accuracy \(String(format: "%.4f", training.epochs.last?.testAccuracy ?? .nan)), \(String(format: "%.0f", total)) s)")
        }
    }
}
