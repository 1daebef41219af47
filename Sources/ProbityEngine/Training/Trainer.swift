import ProbityCore

/// Minibatch training of a graph's parameters: forward, softmax cross-entropy, backward to
/// every parameter, optimizer step. One plan (activations kept) per batch size; updated
/// weights are written into the plans' constant slots.
public final class Trainer {
    public let network: SmallCNN
    public private(set) var parameters: [Tensor]
    public var optimizer: any Optimizer
    let context: ExecutionContext
    private var plans: [Int: (Plan, [Int])] = [:]

    public init(network: SmallCNN, parameters: [Tensor], optimizer: any Optimizer, context: ExecutionContext = ExecutionContext()) {
        self.network = network; self.parameters = parameters; self.optimizer = optimizer; self.context = context
    }

    func plan(batch: Int) throws -> (Plan, [Int]) {
        if let p = plans[batch] {
            for (t, v) in zip(parameters, p.1) { p.0.setConstant(v, t) }
            return p
        }
        let (g, ids) = try network.graph(batch: batch, parameters: parameters)
        let p = (Plan(Planner.optimize(g, forBackward: true), keepActivations: true, context: context), ids)
        plans[batch] = p
        return p
    }

    /// One step on a batch; returns the mean loss and the number of correct predictions
    /// (from the logits before the step).
    @discardableResult
    public func step(_ x: Tensor, labels: [Int]) throws -> (loss: Double, correct: Int) {
        let (plan, ids) = try plan(batch: x.shape[0])
        try plan.execute([x])
        let logits = plan.tensor(of: plan.graph.outputs[0])
        let (loss, seed) = CrossEntropy.lossAndGradient(logits: logits, labels: labels)
        let result = try plan.backward(seed: seed, wrt: ids)
        optimizer.update(&parameters, gradients: ids.map { result.gradients[$0]! })
        for (t, v) in zip(parameters, ids) { plan.setConstant(v, t) }
        let correct = zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count
        return (loss, correct)
    }

    /// Logits of the current parameters for `x` (a forward-only plan).
    public func logits(_ x: Tensor) throws -> Tensor {
        let (g, _) = try network.graph(batch: x.shape[0], parameters: parameters)
        return try Plan(Planner.optimize(g), context: context).run([x])[0]
    }

    /// The graph of the current parameters for a batch of 1 (for export).
    public func graph() throws -> Graph { try network.graph(batch: 1, parameters: parameters).0 }
}
