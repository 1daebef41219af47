import ProbityCore
import ProbityEngine

/// Which class is explained (or scored): `predicted` (the model's top-1 on the clean image,
/// the default, as the RISE and Captum examples), `label` (the dataset's label), or a fixed
/// class index.
public enum TargetRule: Sendable, Equatable, CustomStringConvertible {
    case predicted
    case label
    case fixed(Int)

    public init(_ text: String) throws {
        switch text {
        case "predicted": self = .predicted
        case "label": self = .label
        default:
            guard let k = Int(text), k >= 0 else { throw ProbityError.invalidArgument("--target must be predicted, label or a class index, got \(text)") }
            self = .fixed(k)
        }
    }

    public var description: String {
        switch self { case .predicted: return "predicted"; case .label: return "label"; case .fixed(let k): return String(k) }
    }

    /// Targets for images `x` with dataset labels `labels`.
    /// The targets and, for `predicted`, the logits of `x` they were chosen from (so the
    /// explainer can reuse that forward pass).
    public func targetsAndLogits(model: Model, x: Tensor, labels: [Int]) throws -> (targets: [Int], logits: Tensor?) {
        guard self == .predicted else { return (try targets(model: model, x: x, labels: labels), nil) }
        let logits = try model.logits(x)
        return (logits.argmaxRows(), logits)
    }

    public func targets(model: Model, x: Tensor, labels: [Int]) throws -> [Int] {
        switch self {
        case .predicted: return try model.logits(x).argmaxRows()
        case .label: return labels
        case .fixed(let k): return [Int](repeating: k, count: x.shape[0])
        }
    }
}
