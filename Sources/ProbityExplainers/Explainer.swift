import ProbityCore
import ProbityEngine

/// What an explainer gets besides the model: the images in the model's input space, the
/// classes to explain, which dataset samples they are (for per-sample random streams), the
/// seed, and the dataset's preprocessing (to turn pixel-named baselines into model inputs).
public struct ExplainBatch: Sendable {
    public var x: Tensor
    public var targets: [Int]
    public var samples: [Int]
    public var seed: UInt64
    public var preprocessing: Preprocessing
    /// The model's logits of `x` [N, classes] when the caller already ran them (to choose the
    /// predicted targets), so explainers that need them do not run the forward again. Only
    /// ever the logits of this `x` by the model `explain` gets.
    public var logits: Tensor?

    public init(x: Tensor, targets: [Int], samples: [Int]? = nil, seed: UInt64 = 0, preprocessing: Preprocessing, logits: Tensor? = nil) {
        self.x = x; self.targets = targets; self.samples = samples ?? Array(0..<x.shape[0]); self.seed = seed; self.preprocessing = preprocessing
        self.logits = logits
    }

    /// The logits of sample i [1, classes]: the ones given, or one forward pass.
    public func logits(_ i: Int, model: Model) throws -> Tensor {
        if let logits { return logits.item(i) }
        return try model.logits(item(i))
    }

    public var count: Int { x.shape[0] }
    public var channels: Int { x.shape[1] }
    public var height: Int { x.shape[2] }
    public var width: Int { x.shape[3] }

    /// Sample i alone, [1, C, H, W].
    public func item(_ i: Int) -> Tensor { x.item(i) }

    /// The random stream of sample i for explainer `id`: (seed, id, sample index), so a map
    /// does not depend on which samples share the batch.
    public func rng(_ i: Int, _ id: String) -> RNG { RNG(seed: seed, stream: [.name(id), .number(samples[i])]) }
}

/// Maps [N, H, W] and per-sample diagnostics (e.g. Integrated Gradients' completeness gap).
public struct Attribution: Sendable {
    public var maps: Tensor
    public var diagnostics: [String: [Float]]
    public init(maps: Tensor, diagnostics: [String: [Float]] = [:]) { self.maps = maps; self.diagnostics = diagnostics }
}

/// One explanation method. Each states its paper, its defaults and its channel reduction.
public protocol Explainer: Sendable {
    static var name: String { get }
    /// One line: what it is, the paper, and the reference implementation it follows.
    static var summary: String { get }
    static var optionSpecs: [OptionSpec] { get }
    var options: Options { get }
    /// Whether maps are signed (channels summed, sign kept) rather than magnitudes; overlays
    /// use a diverging colormap for them.
    static var signed: Bool { get }
    /// Whether the maps depend on the seed (random masks, noise, sampled coalitions, a noise
    /// baseline): the attribution cache then keys them by seed too.
    var seeded: Bool { get }
    init(options: Options) throws
    func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution
}

extension Explainer {
    public var id: String { options.id }
    public static var signed: Bool { false }
    public var seeded: Bool { false }

    /// With options given as strings (validated).
    public init(_ given: [String: String] = [:]) throws {
        try self.init(options: Options(explainer: Self.name, specs: Self.optionSpecs, given: given))
    }
}

/// All built-in explainers by name.
public enum ExplainerRegistry {
    public static let all: [any Explainer.Type] = [
        Saliency.self, GradientTimesInput.self, IntegratedGradients.self, SmoothGrad.self, SmoothGradSquared.self, VarGrad.self,
        GuidedBackprop.self, Deconvnet.self, GradCAM.self, GradCAMPlusPlus.self, LayerCAM.self, ScoreCAM.self, GuidedGradCAM.self,
        Occlusion.self, RISE.self, LIME.self, KernelSHAP.self, LRPComposite.self, AttentionRollout.self, TransformerAttribution.self, RandomMap.self, SobelEdges.self, CenteredGaussian.self,
        External.self, Precomputed.self,
    ]

    public static func type(named name: String) throws -> any Explainer.Type {
        guard let t = all.first(where: { $0.name == name }) else {
            throw ProbityError.invalidArgument("unknown explainer \(name); available: \(all.map { $0.name }.joined(separator: ", "))")
        }
        return t
    }

    public static func make(_ name: String, options given: [String: String] = [:]) throws -> any Explainer {
        let t = try type(named: name)
        return try t.init(options: Options(explainer: t.name, specs: t.optionSpecs, given: given))
    }
}
