/// How a backward pass treats each op: the plain chain rule, or one of the modified rules that
/// gradient-based explainers are defined by.
///
/// - Activation rules change the backward of ReLU-like ops (Relu, LeakyRelu, Clip as ReLU6):
///   `guided` is guided backpropagation (Springenberg et al. 2015, "Striving for simplicity"):
///   the ReLU's own gradient, then negative gradients zeroed, as Captum's `GuidedBackprop`;
///   `deconvnet` (Zeiler & Fergus 2014) passes only the positive part of the incoming gradient,
///   ignoring the forward mask, as Captum's `Deconvolution`.
/// - Linear rules change the backward of Conv and Gemm into a layer-wise relevance propagation
///   rule (Bach et al. 2015, "On pixel-wise explanations…"; Montavon et al. 2019, "Layer-wise
///   relevance propagation: an overview"). Once any LRP rule is set, what flows backwards is
///   relevance, not gradient: activations pass it unchanged (Zennit's `Pass`), sums split it in
///   proportion to their operands, average pools by the z-rule, max pools to the maximum.
///   The seed is the relevance at the output (Captum seeds the target logit's value).
///
/// Transformers (Ali et al. 2022, "XAI for Transformers: Better Explanations through Conservative
/// Propagation"): LayerNorm is linear in x with its normalizer held at the forward's value (the
/// LN-rule, in `LayerNorm`), and a product one of whose factors acts as weights — an attention
/// head's softmax probabilities against its values (the AH-rule), or a gate computed from the
/// other factor such as GELU's Φ(x) in x·Φ(x) as exporters decompose it — holds that factor
/// constant: relevance flows linearly through the other factor alone (`attention`,
/// `NodeRule.detached`). Any other product of two variables (Q·Kᵀ) splits relevance in half.
///
/// A composite (Kohlbrenner et al. 2020, "Towards best practice in explaining neural network
/// classifiers with LRP") sets one rule for the first layer (the linear layer that reads the
/// input), one for the other convolutions and one for dense layers (Gemm).
public struct BackwardRule: Sendable, Equatable, CustomStringConvertible {
    public enum Activation: String, Sendable, Equatable {
        case gradient, guided, deconvnet
    }

    /// A rule for linear layers (Conv, Gemm). ρ modifies the weights and bias, ε stabilizes the
    /// denominator: R_in = x′ ⊙ ρ(W)ᵀ (R_out ⊘ (z′ + ε·sign z′)) with z′ = ρ(W)·x′ + ρ(b).
    public enum Linear: Sendable, Equatable, CustomStringConvertible {
        /// The chain rule (no LRP).
        case gradient
        /// LRP-ε (Bach 2015): ρ = identity, stabilizer ε (ε = 0 is LRP-0).
        case epsilon(Float)
        /// LRP-γ (Montavon 2019): ρ(w) = w + γ·w⁺ on weights and bias, for every input sign as the
        /// paper writes it. Zennit 0.5's `Gamma` equals it where inputs are positive and relevance
        /// sits on positive outputs (a ReLU net's hidden layers); on negative inputs or outputs
        /// Zennit amplifies the contributions that share the output's sign instead.
        case gamma(Float)
        /// LRP-z⁺ (Montavon 2017): positive contributions only, bias ignored (α = 1, β = 0 with no
        /// bias; Zennit's `ZPlus(zero_params='bias')`). Zennit's default `ZPlus` keeps b⁺ in the
        /// denominator: that is `alphaBeta(alpha: 1, beta: 0)`.
        case zPlus
        /// LRP-αβ (Bach 2015): α·R⁺ − β·R⁻ over positive and negative contributions
        /// (x⁺w⁺ + x⁻w⁻ and x⁺w⁻ + x⁻w⁺, bias split by sign); α − β = 1.
        case alphaBeta(alpha: Float, beta: Float)
        /// Flat (Lapuschkin 2019): relevance spread uniformly over the receptive field (x′ = 1, ρ(w) = 1, no bias).
        case flat
        /// w² (Montavon 2017): x′ = 1, ρ(w) = w², no bias (Zennit's `WSquare(zero_params='bias')`;
        /// its default squares the bias into the denominator too, which does not conserve relevance).
        case wSquare
        /// z^B (Montavon 2017, box rule) for inputs bounded by per-channel `low` and `high`
        /// (one value is broadcast to every channel).
        case zBox(low: [Float], high: [Float])

        public var isLRP: Bool { self != .gradient }

        public var description: String {
            switch self {
            case .gradient: return "gradient"
            case .epsilon(let e): return "epsilon(\(e))"
            case .gamma(let g): return "gamma(\(g))"
            case .zPlus: return "zplus"
            case .alphaBeta(let a, let b): return "alphabeta(\(a),\(b))"
            case .flat: return "flat"
            case .wSquare: return "wsquare"
            case .zBox(let l, let h): return "zbox(\(l),\(h))"
            }
        }
    }

    /// How an attention head's product P·V (P the output of a Softmax, V the values) shares
    /// relevance under LRP rules.
    public enum Attention: String, Sendable, Equatable {
        /// Ali et al. 2022's AH-rule: P is held constant, relevance flows to V only, by the ε-rule
        /// through z_id = Σ_j p_ij·v_jd; none reaches the query/key branch.
        case valuesOnly
        /// Chefer et al. 2021 (`relprop` of their `einsum`): each factor gets half of the ε-rule
        /// relevance with the other held constant, so P (and through the Softmax, which relevance
        /// passes, Q·Kᵀ) receives relevance too — what `transformer_attribution` reads.
        case split
    }

    public var activation: Activation
    /// Attention heads under LRP rules (no effect on gradients).
    public var attention: Attention = .valuesOnly
    /// The linear layer(s) reading the input; nil uses `convolution` or `dense`.
    public var firstLayer: Linear?
    public var convolution: Linear
    public var dense: Linear
    /// ε of the proportional rules for sums and average pools in LRP mode.
    public var stabilizer: Float = 1e-6

    public init(activation: Activation = .gradient, firstLayer: Linear? = nil, convolution: Linear = .gradient, dense: Linear = .gradient) {
        self.activation = activation; self.firstLayer = firstLayer; self.convolution = convolution; self.dense = dense
    }

    /// The plain chain rule.
    public static let gradient = BackwardRule()
    public static let guidedBackprop = BackwardRule(activation: .guided)
    public static let deconvnet = BackwardRule(activation: .deconvnet)
    /// One LRP rule for every linear layer.
    public static func lrp(_ rule: Linear) -> BackwardRule { BackwardRule(convolution: rule, dense: rule) }
    /// Composite: `first` for the input layer, `convolution` for other convolutions, `dense` for Gemm.
    public static func composite(first: Linear, convolution: Linear, dense: Linear) -> BackwardRule {
        BackwardRule(firstLayer: first, convolution: convolution, dense: dense)
    }

    /// True when relevance, not gradient, flows backwards.
    public var isLRP: Bool { (firstLayer?.isLRP ?? false) || convolution.isLRP || dense.isLRP }

    public var description: String {
        if !isLRP { return activation == .gradient ? "gradient" : activation.rawValue }
        return "lrp(first: \(firstLayer?.description ?? "-"), conv: \(convolution), dense: \(dense)\(attention == .split ? ", attention: split" : ""))"
    }
}

/// The rule one node runs under in a backward pass, resolved by the plan from a `BackwardRule`.
public struct NodeRule: Sendable {
    public var activation: BackwardRule.Activation
    public var linear: BackwardRule.Linear
    /// Relevance mode: activations pass, sums and average pools split proportionally.
    public var lrp: Bool
    public var stabilizer: Float
    /// Under LRP rules, the inputs (by position) of a product (MatMul, Mul) held constant: they
    /// receive no relevance and the other factor takes all of it (`BackwardRule.Attention`).
    public var detached: [Bool] = []

    public static let gradient = NodeRule(activation: .gradient, linear: .gradient, lrp: false, stabilizer: 0)
}
