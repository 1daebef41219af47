import ProbityCore
import ProbityEngine

/// Guided backpropagation (Springenberg et al. 2015, "Striving for simplicity: the all
/// convolutional net"): the gradient with every ReLU-like op passing only positive gradients
/// (the engine's `guided` rule, as Captum's `GuidedBackprop`); summed over channels, signed.
public struct GuidedBackprop: Explainer {
    public static let name = "guided_backprop"
    public static let signed = true
    public static let summary = "Gradient with negative gradients stopped at ReLUs (Springenberg et al. 2015; Captum GuidedBackprop)"
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        Attribution(maps: MapOps.sum(try model.gradient(of: batch.targets, wrt: batch.x, rule: .guidedBackprop).grad))
    }
}
