import Foundation
import ProbityCore

/// A first-order optimizer over a list of parameter tensors, as PyTorch's `torch.optim`
/// defines it (weight decay as an L2 term added to the gradient, on every parameter).
public protocol Optimizer {
    var learningRate: Float { get set }
    mutating func update(_ parameters: inout [Tensor], gradients: [Tensor])
}

/// SGD with momentum (PyTorch `SGD`): v ← μ·v + (g + λ·w); w ← w − lr·v.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    var velocity: [[Float]] = []

    public init(learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        if velocity.isEmpty { velocity = parameters.map { [Float](repeating: 0, count: $0.count) } }
        for k in parameters.indices {
            for i in 0..<parameters[k].count {
                let g = gradients[k].storage[i] + weightDecay * parameters[k].storage[i]
                velocity[k][i] = momentum * velocity[k][i] + g
                parameters[k].storage[i] -= learningRate * velocity[k][i]
            }
        }
    }
}

/// Adam (Kingma & Ba 2015; PyTorch `Adam`): bias-corrected first and second moments,
/// w ← w − lr·m̂/(√v̂ + ε).
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    var m: [[Float]] = []
    var v: [[Float]] = []
    var step = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        if m.isEmpty {
            m = parameters.map { [Float](repeating: 0, count: $0.count) }
            v = m
        }
        step += 1
        let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
        let c2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
        for k in parameters.indices {
            for i in 0..<parameters[k].count {
                let g = gradients[k].storage[i] + weightDecay * parameters[k].storage[i]
                m[k][i] = beta1 * m[k][i] + (1 - beta1) * g
                v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g
                parameters[k].storage[i] -= learningRate * (m[k][i] / c1) / ((v[k][i] / c2).squareRoot() + epsilon)
            }
        }
    }
}

/// Softmax cross-entropy averaged over the batch, and its gradient (softmax − one-hot)/N.
public enum CrossEntropy {
    public static func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Double, gradient: Tensor) {
        let n = logits.shape[0], k = logits.shape[1]
        var grad = Tensor(shape: logits.shape)
        var loss = 0.0
        for s in 0..<n {
            let row = logits.storage[(s * k)..<((s + 1) * k)]
            let top = row.max()!
            var sum = 0.0
            for v in row { sum += Foundation.exp(Double(v - top)) }
            loss += Foundation.log(sum) - Double(row[s * k + labels[s]] - top)
            for j in 0..<k {
                let p = Foundation.exp(Double(row[s * k + j] - top)) / sum
                grad.storage[s * k + j] = Float((p - (j == labels[s] ? 1 : 0)) / Double(n))
            }
        }
        return (loss / Double(n), grad)
    }
}
