import Foundation
import ProbityCore

/// A model that counts the samples sent through another one (forward passes and forward +
/// backward passes), for benchmarks that report an explainer's or a metric's forwards per
/// second. Everything else goes to the wrapped model unchanged.
public final class CountingModel: Model, @unchecked Sendable {
    public let base: any Model
    private let lock = NSLock()
    private var forwardCount = 0, backwardCount = 0

    public init(_ base: any Model) { self.base = base }

    /// Samples run forward only, and forward + backward, since the last `reset`.
    public var counts: (forward: Int, backward: Int) { lock.lock(); defer { lock.unlock() }; return (forwardCount, backwardCount) }
    public func reset() { lock.lock(); forwardCount = 0; backwardCount = 0; lock.unlock() }
    private func add(forward: Int = 0, backward: Int = 0) { lock.lock(); forwardCount += forward; backwardCount += backward; lock.unlock() }

    public var inputShape: [Int] { base.inputShape }
    public var maxBatch: Int { base.maxBatch }
    public var threads: Int { base.threads }
    public func logits(_ x: Tensor) throws -> Tensor { add(forward: x.shape[0]); return try base.logits(x) }
    public func forward(_ x: Tensor, hooks: [String]) throws -> (logits: Tensor, activations: [String: Tensor]) {
        add(forward: x.shape[0]); return try base.forward(x, hooks: hooks)
    }
    public func backward(_ x: Tensor, rule: BackwardRule, hooks: [String],
                         seed: (_ logits: Tensor, _ range: Range<Int>) throws -> Tensor) throws -> ModelGradients {
        add(backward: x.shape[0]); return try base.backward(x, rule: rule, hooks: hooks, seed: seed)
    }
    public var layers: [String] { get throws { try base.layers } }
    public func nodeOutputs() throws -> [(name: String, shape: [Int])] { try base.nodeOutputs() }
    public func randomized(layers: [String], seed: UInt64) throws -> Model { try base.randomized(layers: layers, seed: seed) }
}
