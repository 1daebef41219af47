import Foundation
import ProbityCore

/// What explainers and metrics see of a classifier: input in the model's input space
/// (after the dataset's `input_scale`/`input_offset`), logits out, gradients back.
public protocol Model: AnyObject, Sendable {
    /// Per-sample input shape, [C, H, W].
    var inputShape: [Int] { get }
    /// The most samples one forward or backward pass runs at once; larger inputs are split
    /// into the chunks of `Chunking`.
    var maxBatch: Int { get }
    /// The threads its kernels use; callers that build inputs in parallel (RISE's masks) use
    /// as many.
    var threads: Int { get }
    /// Logits [N, classes] for inputs [N, C, H, W]; any N (batched internally).
    func logits(_ x: Tensor) throws -> Tensor
    /// One forward and backward pass over `x` (any N, batched internally). `seed` gives
    /// dL/dlogits (or the output relevance, for LRP rules) for the samples `range` from
    /// their logits. Returns the logits, the input gradient and, for each node output named
    /// in `hooks`, its activation and the gradient that flowed into it. `seed` is called once
    /// for each chunk, one call at a time, but not necessarily in sample order nor on the
    /// calling thread (`GraphModel` runs parts of `x` side by side), so it should depend only
    /// on its arguments and what it captures, not on the calls before it, and must not call
    /// the model.
    func backward(_ x: Tensor, rule: BackwardRule, hooks: [String],
                  seed: (_ logits: Tensor, _ range: Range<Int>) throws -> Tensor) throws -> ModelGradients
    /// One forward pass over `x` (any N, batched internally) that also returns the activation
    /// of each node output named in `hooks`, with no backward pass (Score-CAM's activations).
    /// The activations are those `backward` would hook, bit for bit.
    func forward(_ x: Tensor, hooks: [String]) throws -> (logits: Tensor, activations: [String: Tensor])
    /// Layers with trainable weights, in graph order (input to output), named by ONNX output.
    var layers: [String] { get throws }
    /// Every node output in graph order with its shape for one sample (batch extent 1): what
    /// hooks can name.
    func nodeOutputs() throws -> [(name: String, shape: [Int])]
    /// A copy whose chosen layers are re-initialized (PyTorch's defaults); self is untouched.
    func randomized(layers: [String], seed: UInt64) throws -> Model
}

/// The result of `Model.backward`.
public struct ModelGradients: Sendable {
    public var logits: Tensor
    /// dL/dx (or the input relevance), [N, C, H, W].
    public var input: Tensor
    /// Hooked activations by name, [N, …].
    public var activations: [String: Tensor]
    /// The gradient flowing into each hooked activation, same shapes.
    public var hookGradients: [String: Tensor]

    public init(logits: Tensor, input: Tensor, activations: [String: Tensor] = [:], hookGradients: [String: Tensor] = [:]) {
        self.logits = logits; self.input = input; self.activations = activations; self.hookGradients = hookGradients
    }
}

/// One-hot seeds: row i has 1 at `targets[range.lowerBound + i]`.
public func oneHotSeeds(_ targets: [Int], range: Range<Int>, classes: Int) -> Tensor {
    var t = Tensor(shape: [range.count, classes])
    for (i, s) in range.enumerated() { t.storage[i * classes + targets[s]] = 1 }
    return t
}

extension Model {
    /// 32 samples a pass, for models that do not say.
    public var maxBatch: Int { 32 }

    /// All the machine's cores, for models that do not say.
    public var threads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// A forward pass with hooks through `backward` with zero seeds, for models without a
    /// forward hook of their own.
    public func forward(_ x: Tensor, hooks: [String]) throws -> (logits: Tensor, activations: [String: Tensor]) {
        let r = try backward(x, rule: .gradient, hooks: hooks) { logits, range in Tensor(shape: [range.count, logits.shape[1]]) }
        return (r.logits, r.activations)
    }

    /// The gradient of each sample's target logit with respect to its input.
    public func gradient(of targets: [Int], wrt x: Tensor, rule: BackwardRule = .gradient) throws -> (logits: Tensor, grad: Tensor) {
        try checkTargets(targets, x)
        let r = try backward(x, rule: rule, hooks: []) { logits, range in oneHotSeeds(targets, range: range, classes: logits.shape[1]) }
        return (r.logits, r.input)
    }

    /// The activation of the node output `layer` and the gradient of each sample's target
    /// logit with respect to it (what the CAM family needs).
    public func capture(layer: String, _ x: Tensor, targets: [Int], rule: BackwardRule = .gradient) throws -> (activation: Tensor, gradient: Tensor) {
        try checkTargets(targets, x)
        let r = try backward(x, rule: rule, hooks: [layer]) { logits, range in oneHotSeeds(targets, range: range, classes: logits.shape[1]) }
        return (r.activations[layer]!, r.hookGradients[layer]!)
    }

    func checkTargets(_ targets: [Int], _ x: Tensor) throws {
        guard targets.count == x.shape.first else {
            throw ProbityError.invalidArgument("\(targets.count) targets for \(x.shape.first ?? 0) samples")
        }
    }
}
