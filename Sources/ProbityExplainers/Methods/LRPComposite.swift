import ProbityCore
import ProbityEngine

/// Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019) through the
/// engine's LRP rules, with a composite as Kohlbrenner et al. 2020 recommend: ε for dense
/// layers, γ (or αβ) for convolutions, z^B (bounded by the input range: pixel 0 and 255 through
/// the preprocessing) or flat for the first layer. Defaults ε = 0.25, γ = 0.25, z^B. The seed is
/// the target logit's value (Captum's `LRP`); the map sums relevance over channels, signed. On
/// transformers MatMuls with weights take the dense rule, LayerNorm the LN-rule and attention
/// the AH-rule of Ali et al. 2022 (`BackwardRule`), so relevance is conserved through a ViT.
public struct LRPComposite: Explainer {
    public static let name = "lrp"
    public static let signed = true
    public static let summary = "Layer-wise relevance propagation with a composite of rules (Bach et al. 2015; Montavon et al. 2019; Zennit composites)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("first", default: "zbox", .choice(["zbox", "flat", "wsquare", "epsilon", "gamma"]), "rule for the first layer"),
        OptionSpec("conv", default: "gamma", .choice(["gamma", "alphabeta", "zplus", "epsilon"]), "rule for other convolutions"),
        OptionSpec("dense", default: "epsilon", .choice(["epsilon", "gamma", "zplus"]), "rule for dense layers"),
        OptionSpec("epsilon", default: "0.25", .double(0...1e6), "ε of the epsilon rule"),
        OptionSpec("gamma", default: "0.25", .double(0...1e6), "γ of the gamma rule"),
        OptionSpec("alpha", default: "2", .double(1...1e6), "α of the alphabeta rule (β = α − 1)"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    func rule(_ name: String, preprocessing: Preprocessing, channels: Int) -> BackwardRule.Linear {
        switch name {
        case "epsilon": return .epsilon(options.float("epsilon"))
        case "gamma": return .gamma(options.float("gamma"))
        case "zplus": return .zPlus
        case "alphabeta": let a = options.float("alpha"); return .alphaBeta(alpha: a, beta: a - 1)
        case "flat": return .flat
        case "wsquare": return .wSquare
        default:
            let c = (0..<channels).map { $0 % preprocessing.channels }
            let low = c.map { preprocessing.input(pixel: 0, channel: $0) }, high = c.map { preprocessing.input(pixel: 255, channel: $0) }
            return .zBox(low: zip(low, high).map { min($0, $1) }, high: zip(low, high).map { max($0, $1) })
        }
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let p = batch.preprocessing, c = batch.channels
        let rule = BackwardRule.composite(first: rule(options.string("first"), preprocessing: p, channels: c),
                                          convolution: rule(options.string("conv"), preprocessing: p, channels: c),
                                          dense: rule(options.string("dense"), preprocessing: p, channels: c))
        let r = try model.backward(batch.x, rule: rule, hooks: []) { logits, range in
            var seed = Tensor(shape: logits.shape)
            for (i, s) in range.enumerated() { seed[i, batch.targets[s]] = logits[i, batch.targets[s]] }
            return seed
        }
        var conservation: [Float] = []
        let per = r.input.count / batch.count
        for s in 0..<batch.count {
            conservation.append(r.input.storage[(s * per)..<((s + 1) * per)].reduce(0, +) - r.logits[s, batch.targets[s]])
        }
        return Attribution(maps: MapOps.sum(r.input), diagnostics: ["conservation_gap": conservation])
    }
}
