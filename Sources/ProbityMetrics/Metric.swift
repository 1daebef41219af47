import ProbityCore
import ProbityEngine
import ProbityExplainers

/// What a metric gets: the images (model input space), their attribution maps [N, H, W], the
/// classes the maps explain, which dataset samples they are (for random streams), the seed,
/// and the dataset's preprocessing (substrates are named in pixel terms, as baselines).
public struct MetricInput: Sendable {
    public var x: Tensor
    public var maps: Tensor
    public var targets: [Int]
    public var samples: [Int]
    public var seed: UInt64
    public var preprocessing: Preprocessing

    public init(x: Tensor, maps: Tensor, targets: [Int], samples: [Int]? = nil, seed: UInt64 = 0, preprocessing: Preprocessing) {
        self.x = x; self.maps = maps; self.targets = targets; self.samples = samples ?? Array(0..<x.shape[0]); self.seed = seed; self.preprocessing = preprocessing
    }

    public var count: Int { x.shape[0] }

    /// Map i after the `sign` option: `signed` as is, `abs` magnitudes, `positive` negatives set to 0.
    public func map(_ i: Int, sign: String) -> [Float] {
        let plane = maps.shape[1] * maps.shape[2]
        let m = maps.storage[(i * plane)..<((i + 1) * plane)]
        switch sign {
        case "abs": return m.map(abs)
        case "positive": return m.map { max($0, 0) }
        default: return Array(m)
        }
    }
}

/// A sample's result: its score, its curve where the metric has one, and its status
/// (`ok`, `nan` when the score is not a number, `constant` when the map carries no ranking).
public struct MetricOutput: Sendable {
    public var scores: [Float]
    public var curves: [[Float]]?
    public var status: [String]
}

/// One evaluation metric. Each states its paper, definition, defaults and direction.
public protocol Metric: Sendable {
    static var name: String { get }
    static var summary: String { get }
    static var higherIsBetter: Bool { get }
    static var optionSpecs: [OptionSpec] { get }
    var options: Options { get }
    init(options: Options) throws
    func evaluate(_ input: MetricInput, model: Model) throws -> MetricOutput
}

extension Metric {
    public var id: String { options.id }
    public init(_ given: [String: String] = [:]) throws {
        try self.init(options: Options(explainer: Self.name, specs: Self.optionSpecs, given: given))
    }

    /// `ok`, `nan` or `constant` for a score and the map it came from.
    static func status(score: Float, map: [Float]) -> String {
        if !score.isFinite { return "nan" }
        if let first = map.first, map.allSatisfy({ $0 == first }) { return "constant" }
        return "ok"
    }
}

public enum MetricRegistry {
    public static let all: [any Metric.Type] = [Deletion.self, Insertion.self, Sparseness.self, Complexity.self]

    public static func make(_ name: String, options given: [String: String] = [:]) throws -> any Metric {
        guard let t = all.first(where: { $0.name == name }) else {
            throw ProbityError.invalidArgument("unknown metric \(name); available: \(all.map { $0.name }.joined(separator: ", "))")
        }
        return try t.init(options: Options(explainer: t.name, specs: t.optionSpecs, given: given))
    }

    /// The option every metric takes for how maps are ranked.
    static let sign = OptionSpec("sign", default: "signed", .choice(["signed", "abs", "positive"]), "how maps are ranked: as signed, by magnitude, or positive part only")
}
