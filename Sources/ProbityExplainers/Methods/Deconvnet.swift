import ProbityCore
import ProbityEngine

/// Deconvnet (Zeiler & Fergus 2014, "Visualizing and understanding convolutional networks"):
/// ReLU-like ops pass the positive part of the incoming gradient, ignoring the forward mask
/// (the engine's `deconvnet` rule, as Captum's `Deconvolution`); summed over channels, signed.
public struct Deconvnet: Explainer {
    public static let name = "deconvnet"
    public static let signed = true
    public static let summary = "Backward pass with ReLUs applied to the gradient (Zeiler & Fergus 2014; Captum Deconvolution)"
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        Attribution(maps: MapOps.sum(try model.gradient(of: batch.targets, wrt: batch.x, rule: .deconvnet).grad))
    }
}
