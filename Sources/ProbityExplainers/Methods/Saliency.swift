import ProbityCore
import ProbityEngine

/// Saliency (Simonyan, Vedaldi & Zisserman 2014, "Deep inside convolutional networks"): the
/// gradient of the target logit with respect to the input; |∂y/∂x|, maximum over channels,
/// as Captum's `Saliency(abs=True)`.
public struct Saliency: Explainer {
    public static let name = "saliency"
    public static let summary = "Gradient magnitude, max |∂y/∂x| over channels (Simonyan et al. 2014; Captum Saliency)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("abs", default: "true", .bool, "absolute value before the channel maximum (false: signed gradient summed over channels)"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let g = try model.gradient(of: batch.targets, wrt: batch.x).grad
        return Attribution(maps: options.bool("abs") ? MapOps.maxAbs(g) : MapOps.sum(g))
    }
}
