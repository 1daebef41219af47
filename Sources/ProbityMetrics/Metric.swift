import ProbityCore
import ProbityEngine
import ProbityExplainers

/// What a metric gets: the images (model input space), their attribution maps [N, H, W], the
/// classes the maps explain, which dataset samples they are (for random streams), the seed,
/// and the dataset's preprocessing (substrates are named in pixel terms, as baselines).
/// Metrics that re-run the method (sanity checks, max-sensitivity) get the `explainer`;
/// localization metrics get `regions`, each sample's ground-truth pixels [H × W], with the
/// sample's name in the dataset (when it records one) and the classes that have a box in it
/// (for TorchRay's "difficult" subset of the pointing game).
public struct MetricInput: Sendable {
    public var x: Tensor
    public var maps: Tensor
    public var targets: [Int]
    public var samples: [Int]
    public var seed: UInt64
    public var preprocessing: Preprocessing
    public var explainer: (any Explainer)?
    public var regions: [[Bool]]?
    public var sampleNames: [String]?
    public var boxClasses: [Set<Int>]?
    /// Loads other models by path (data randomization's twin), once per run.
    public var loader: ModelLoader?

    public init(x: Tensor, maps: Tensor, targets: [Int], samples: [Int]? = nil, seed: UInt64 = 0, preprocessing: Preprocessing,
                explainer: (any Explainer)? = nil, regions: [[Bool]]? = nil, sampleNames: [String]? = nil, boxClasses: [Set<Int>]? = nil,
                loader: ModelLoader? = nil) {
        self.x = x; self.maps = maps; self.targets = targets; self.samples = samples ?? Array(0..<x.shape[0]); self.seed = seed; self.preprocessing = preprocessing
        self.explainer = explainer; self.regions = regions; self.sampleNames = sampleNames; self.boxClasses = boxClasses
        self.loader = loader
    }

    public var count: Int { x.shape[0] }
    public var height: Int { maps.shape[1] }
    public var width: Int { maps.shape[2] }

    /// The explainer, or an error naming the metric that needs it.
    func requireExplainer(_ metric: String) throws -> any Explainer {
        guard let explainer else { throw ProbityError.invalidArgument("\(metric) re-runs the explainer, but none was given") }
        return explainer
    }

    /// The ground-truth region of sample i, or an error naming the metric that needs it.
    func region(_ i: Int, _ metric: String) throws -> [Bool] {
        guard let regions else { throw ProbityError.invalidArgument("\(metric) needs ground truth (the dataset's /masks or /boxes)") }
        return regions[i]
    }

    /// Maps [n, H, W] of `explainer` on images `x` for `targets`, the samples' random streams
    /// the same as the original run's (so only what the metric changed changes the map).
    func explain(_ explainer: any Explainer, x: Tensor, targets: [Int], samples: [Int], model: Model) throws -> Tensor {
        try explainer.explain(ExplainBatch(x: x, targets: targets, samples: samples, seed: seed, preprocessing: preprocessing), model: model).maps
    }

    /// Map i after the `sign` option.
    public func map(_ i: Int, sign: String) -> [Float] {
        let plane = maps.shape[1] * maps.shape[2]
        return MetricInput.apply(sign: sign, maps.storage[(i * plane)..<((i + 1) * plane)])
    }

    /// Values after the `sign` option: `signed` as is, `abs` magnitudes, `positive` negatives set to 0.
    static func apply(sign: String, _ values: ArraySlice<Float>) -> [Float] {
        switch sign {
        case "abs": return values.map(abs)
        case "positive": return values.map { max($0, 0) }
        default: return Array(values)
        }
    }

    /// One score and curve per sample from its map (after `sign`) and index, each with its
    /// status: the loop every per-sample metric shares.
    func perSampleCurves(sign: String, _ score: (Int, [Float]) throws -> (score: Float, curve: [Float])) rethrows -> MetricOutput {
        var scores: [Float] = [], curves: [[Float]] = [], status: [String] = []
        for s in 0..<count {
            let map = self.map(s, sign: sign)
            let (v, curve) = try score(s, map)
            scores.append(v)
            curves.append(curve)
            status.append(MetricOutput.status(score: v, map: map))
        }
        return MetricOutput(scores: scores, curves: curves, status: status)
    }

    /// One score per sample, as `perSampleCurves` without curves.
    func perSample(sign: String, _ score: (Int, [Float]) throws -> Float) rethrows -> MetricOutput {
        var out = try perSampleCurves(sign: sign) { (try score($0, $1), []) }
        out.curves = nil
        return out
    }
}

/// A sample's result: its score, its curve where the metric has one, and its status
/// (`ok`, `nan` when the score is not a number, `constant` when the map carries no ranking,
/// `skipped` when the sample is outside a variant's subset: no row, in no statistic).
/// `variants` holds further per-sample scores under a name (the `variant` column: a randomized
/// layer and similarity measure, a single measure's summary); the main score's variant is "".
public struct MetricOutput: Sendable {
    public struct Variant: Sendable {
        public var name: String; public var scores: [Float]; public var status: [String]
        public init(name: String, scores: [Float], status: [String]) { self.name = name; self.scores = scores; self.status = status }
    }
    public var scores: [Float]
    public var curves: [[Float]]?
    public var status: [String]
    public var variants: [Variant] = []

    public init(scores: [Float], curves: [[Float]]? = nil, status: [String], variants: [Variant] = []) {
        self.scores = scores; self.curves = curves; self.status = status; self.variants = variants
    }

    /// `ok`, `nan` or `constant` for a score and the map it came from. A map holding a NaN or
    /// an infinity is `nan` even when the score came out finite (a sort or a sum over it means
    /// nothing), so no number from it passes as valid.
    static func status(score: Float, map: [Float]) -> String {
        if !score.isFinite || map.contains(where: { !$0.isFinite }) { return "nan" }
        if let first = map.first, map.allSatisfy({ $0 == first }) { return "constant" }
        return "ok"
    }
}

/// What a metric needs besides the model, images and maps.
public struct MetricNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Re-runs the explainer (sanity checks, max-sensitivity).
    public static let explainer = MetricNeeds(rawValue: 1)
    /// Ground-truth masks or boxes (localization).
    public static let groundTruth = MetricNeeds(rawValue: 2)
}

/// One evaluation metric. Each states its paper, definition, defaults and direction.
public protocol Metric: Sendable {
    static var name: String { get }
    static var summary: String { get }
    static var higherIsBetter: Bool { get }
    static var optionSpecs: [OptionSpec] { get }
    static var needs: MetricNeeds { get }
    /// Whether the summary also reports the mean of per-class means (TorchRay's pointing game).
    static var perClass: Bool { get }
    /// The variants that get per-class means when `perClass` (the main score "" by default).
    static var perClassVariants: [String] { get }
    var options: Options { get }
    init(options: Options) throws
    func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput
}

extension Metric {
    public static var needs: MetricNeeds { [] }
    public static var perClass: Bool { false }
    public static var perClassVariants: [String] { perClass ? [""] : [] }
    public var id: String { options.id }
    public init(_ given: [String: String] = [:]) throws {
        try self.init(options: Options(explainer: Self.name, specs: Self.optionSpecs, given: given))
    }
}

public enum MetricRegistry {
    public static let all: [any Metric.Type] = [
        Deletion.self, Insertion.self, MoRF.self, LeRF.self, ROADMoRF.self, ROADLeRF.self, FaithfulnessCorrelation.self, Infidelity.self,
        ModelRandomization.self, DataRandomization.self, RandomLogit.self,
        PointingGame.self, RelevanceMass.self, RelevanceRank.self, MaskROCAUC.self,
        Sparseness.self, Complexity.self, MaxSensitivity.self,
    ]

    public static func type(named name: String) throws -> any Metric.Type {
        guard let t = all.first(where: { $0.name == name }) else {
            throw ProbityError.invalidArgument("unknown metric \(name); available: \(all.map { $0.name }.joined(separator: ", "))")
        }
        return t
    }

    public static func make(_ name: String, options given: [String: String] = [:]) throws -> any Metric {
        let t = try type(named: name)
        return try t.init(options: Options(explainer: t.name, specs: t.optionSpecs, given: given))
    }

    /// The option every metric takes for how maps are ranked.
    static let sign = OptionSpec("sign", default: "signed", .choice(["signed", "abs", "positive"]), "how maps are ranked: as signed, by magnitude, or positive part only")
}
