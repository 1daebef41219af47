import XCTest
import ProbityCore
@testable import ProbityEngine

/// Optimizers against their update equations worked by hand, the cross-entropy gradient
/// against finite differences, and a few training steps that must fit a separable problem.
final class TrainingTests: XCTestCase {
    func testSGDWithMomentumAndWeightDecayByHand() {
        // w = 1, g = 0.5, λ = 0.1, μ = 0.9, lr = 0.1:
        // step 1: v = 0.5 + 0.1 = 0.6, w = 1 − 0.06 = 0.94
        // step 2 (g = 0.5): v = 0.9·0.6 + 0.5 + 0.094 = 1.134, w = 0.94 − 0.1134 = 0.8266
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        var p = [Tensor(shape: [1], storage: [1])]
        let g = [Tensor(shape: [1], storage: [0.5])]
        sgd.update(&p, gradients: g)
        XCTAssertEqual(p[0].storage[0], 0.94, accuracy: 1e-6)
        sgd.update(&p, gradients: g)
        XCTAssertEqual(p[0].storage[0], 0.8266, accuracy: 1e-6)
    }

    func testAdamByHand() {
        // Step 1 moves every weight by lr·sign(g) (bias correction makes m̂ = g, v̂ = g²).
        var adam = Adam(learningRate: 0.01)
        var p = [Tensor(shape: [3], storage: [1, -2, 0.5])]
        adam.update(&p, gradients: [Tensor(shape: [3], storage: [0.3, -4, 1e-3])])
        XCTAssertEqual(p[0].storage[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(p[0].storage[1], -1.99, accuracy: 1e-6)
        XCTAssertEqual(p[0].storage[2], 0.49, accuracy: 1e-5)
        // Step 2 with g = 0.1 after 0.3: m = 0.9·0.03 + 0.01 = 0.037, m̂ = 0.037/0.19;
        // v = 0.999·0.00009 + 0.001·0.01 = 0.00009991, v̂ = v/0.001999; Δ = 0.01·m̂/√v̂.
        adam.update(&p, gradients: [Tensor(shape: [3], storage: [0.1, 0, 0])])
        let mHat = 0.037 / 0.19, vHat = 0.00009991 / (1 - 0.999 * 0.999)
        XCTAssertEqual(Double(p[0].storage[0]), 0.99 - 0.01 * mHat / (vHat.squareRoot() + 1e-8), accuracy: 1e-6)
    }

    func testCrossEntropyGradientMatchesFiniteDifferences() {
        var rng = RNG(seed: 41)
        let logits = rng.normalTensor(shape: [3, 5], std: 2)
        let labels = [4, 0, 2]
        let (loss, grad) = CrossEntropy.lossAndGradient(logits: logits, labels: labels)
        // Closed form for row 0: −log softmax(row)[4], averaged over 3 rows.
        var expected = 0.0
        for s in 0..<3 {
            let row = (0..<5).map { Double(logits[s, $0]) }
            expected += log(row.map(exp).reduce(0, +)) - row[labels[s]]
        }
        XCTAssertEqual(loss, expected / 3, accuracy: 1e-9)
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.storage[i] += 1e-2; minus.storage[i] -= 1e-2
            let numeric = (CrossEntropy.lossAndGradient(logits: plus, labels: labels).loss - CrossEntropy.lossAndGradient(logits: minus, labels: labels).loss) / 2e-2
            XCTAssertEqual(Double(grad.storage[i]), numeric, accuracy: 1e-4)
        }
    }

    /// Two classes told apart by the brightness of the left half: a few Adam steps fit them.
    func testSmallCNNLearnsASeparableProblem() throws {
        let net = SmallCNN(inputShape: [1, 8, 8], classes: 2, widths: [4, 8])
        var rng = RNG(seed: 42)
        var x = rng.normalTensor(shape: [16, 1, 8, 8], std: 0.3)
        let labels = (0..<16).map { $0 % 2 }
        for s in 0..<16 where labels[s] == 1 { for r in 0..<8 { for c in 0..<4 { x[s, 0, r, c] += 1.5 } } }
        let trainer = Trainer(network: net, parameters: try net.initialParameters(seed: 3), optimizer: Adam(learningRate: 0.02),
                              context: ExecutionContext(threads: 2))
        let first = try trainer.step(x, labels: labels).loss
        var last = first
        for _ in 0..<60 { last = try trainer.step(x, labels: labels).loss }
        XCTAssertLessThan(last, 0.1 * first, "loss \(first) → \(last)")
        XCTAssertEqual(try trainer.logits(x).argmaxRows(), labels)
        // Same seed, same steps: identical parameters (training is deterministic).
        let again = Trainer(network: net, parameters: try net.initialParameters(seed: 3), optimizer: Adam(learningRate: 0.02),
                            context: ExecutionContext(threads: 2))
        for _ in 0..<61 { try again.step(x, labels: labels) }
        XCTAssertEqual(again.parameters.map(\.storage), trainer.parameters.map(\.storage))
    }
}
