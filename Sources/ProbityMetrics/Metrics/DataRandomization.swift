import Foundation
import ProbityCore
import ProbityEngine
import ProbityExplainers

/// Data randomization (Adebayo et al. 2018, "Sanity checks for saliency maps"): the explainer
/// is re-run on a model of the same architecture trained on randomly permuted labels
/// (`shuffled_model`, default `models/shapes_cnn_shuffled.onnx`, the twin of the shapes model),
/// and its maps are compared with the normal model's by each `MapSimilarity` measure
/// (variants); the main score is the Spearman correlation of absolute values. A method whose
/// maps do not depend on what the model learned scores high; lower is better.
public struct DataRandomization: Metric {
    public static let name = "data_randomization"
    public static let summary = "Similarity of the maps to those of a model trained on shuffled labels (Adebayo et al. 2018); lower is better"
    public static let higherIsBetter = false
    public static let needs: MetricNeeds = .explainer
    public static let optionSpecs = [
        OptionSpec("shuffled_model", default: "models/shapes_cnn_shuffled.onnx", .text, "the same architecture trained on shuffled labels (ONNX)"),
    ]
    public let options: Options

    /// Refuses a twin file that is not there; the twin itself is loaded by the run's
    /// `MetricInput.loader` (once per run), so the metric does not depend on the file format.
    public init(options: Options) throws {
        self.options = options
        let path = options.string("shuffled_model")
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ProbityError.badFile(path, "no such file (data_randomization's shuffled_model, the twin trained on shuffled labels)")
        }
    }

    public func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput {
        let explainer = try input.requireExplainer(Self.name)
        guard let loader = input.loader else {
            throw ProbityError.invalidArgument("\(Self.name) loads the twin model \(options.string("shuffled_model")), but the input has no model loader (MetricInput.loader)")
        }
        let shuffled = try loader.model(at: options.string("shuffled_model"))
        guard shuffled.inputShape == model.inputShape else {
            throw ProbityError.badFile(options.string("shuffled_model"), "input shape \(shuffled.inputShape) differs from the model's \(model.inputShape)")
        }
        let original = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: model))
        let changed = SanityCheck.rows(try input.explain(explainer, x: input.x, targets: input.targets, samples: input.samples, model: shuffled))
        return SanityCheck.output(SanityCheck.variants(prefix: "", original: original, changed: changed, height: input.height, width: input.width), main: .spearmanAbs)
    }
}
