import ProbityCore

/// What explainers and metrics see of a classifier: input in the model's input space
/// (after the dataset's `input_scale`/`input_offset`), logits out.
/// Engine II adds gradients, activation hooks and randomization to this protocol.
public protocol Model: AnyObject, Sendable {
    /// Per-sample input shape, [C, H, W].
    var inputShape: [Int] { get }
    /// Logits [N, classes] for inputs [N, C, H, W]; any N (batched internally).
    func logits(_ x: Tensor) throws -> Tensor
}
