import ProbityCore
import ProbityEngine

/// Gradient × input (Shrikumar et al. 2016, "Not just a black box"): x ⊙ ∂y/∂x, summed over
/// channels, signed; as Captum's `InputXGradient`.
public struct GradientTimesInput: Explainer {
    public static let name = "gradient_x_input"
    public static let signed = true
    public static let summary = "x ⊙ ∂y/∂x summed over channels (Shrikumar et al. 2016; Captum InputXGradient)"
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        var g = try model.gradient(of: batch.targets, wrt: batch.x).grad
        for i in 0..<g.count { g.storage[i] *= batch.x.storage[i] }
        return Attribution(maps: MapOps.sum(g))
    }
}
