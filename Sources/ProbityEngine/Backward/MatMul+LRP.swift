/// Layer-wise relevance propagation through a MatMul, the product transformers are made of.
///
/// - One constant operand (the weights of a projection: `x·W`, as exporters write a `Linear` on
///   token maps): a dense layer, under the dense rule of the `BackwardRule` (ε, γ, z⁺, …) through
///   `LRP.propagate`, the constant as the weights and the other operand as the data.
/// - Two variables with one detached by the plan (`NodeRule.detached`): the detached factor is
///   held at its forward value and the other takes all the relevance by the ε-rule,
///   R_V = V ⊙ Pᵀ·(R ⊘ (Z + ε·sign Z)) for Z = P·V with P detached. That is the AH-rule of
///   Ali et al. 2022 ("XAI for Transformers: Better Explanations through Conservative
///   Propagation", ICML): the attention probabilities as constant weights p_ij, relevance
///   R_jd = Σ_i p_ij·v_jd·R_id/z_id, conserved (Σ_jd R_jd = Σ_id R_id up to ε) and none into the
///   query/key branch. Their code (XAI_Transformers, `attention_probs.detach()` then gradient ×
///   input) is the same rule at ε = 0.
/// - Two variables, neither detached (Q·Kᵀ; P·V under `attention: .split`): each gets half of
///   its ε-rule relevance with the other held constant, as Chefer et al. 2021's `einsum.relprop`
///   followed by their `cam /= 2`; the two halves sum to the output's relevance.
///
/// ε is the rule's stabilizer for the variable-by-variable cases; sign(0) = +1.
struct MatMulFactor: LinearLayer {
    var op: MatMul
    /// True when the data (the variable operand) is the first factor, `x·W`; false for `W·x`.
    var dataFirst: Bool

    func linearForward(x: ConstView, weight: ConstView, bias: ConstView?, into z: MutableView, _ context: ExecutionContext) {
        op.forward(dataFirst ? [x, weight] : [weight, x], z, context)
    }

    func linearBackwardData(_ dz: ConstView, weight: ConstView, into dx: MutableView, _ context: ExecutionContext) {
        let data = dx.readOnly
        let gradient = MutableView(pointer: UnsafeMutablePointer(mutating: dz.pointer), shape: dz.shape)
        op.backward(BackwardArguments(inputs: dataFirst ? [data, weight] : [weight, data], output: dz, gradOutput: gradient,
                                      gradInputs: dataFirst ? [dx, nil] : [nil, dx]), context)
    }
}

extension MatMul {
    func propagateRelevance(_ args: BackwardArguments, _ context: ExecutionContext) {
        let rule = args.rule
        let detached = rule.detached.count == 2 ? rule.detached : [false, false]
        let takes = (0..<2).filter { args.gradInputs[$0] != nil && !detached[$0] }
        guard !takes.isEmpty else { return }
        if rule.linear.isLRP, takes.count == 1, !detached.contains(true) {
            let k = takes[0]
            LRP.propagate(MatMulFactor(op: self, dataFirst: k == 0), rule: rule.linear, stabilizer: rule.stabilizer,
                          x: args.inputs[k], weight: args.inputs[1 - k], bias: nil, relevance: args.gradOutput.readOnly,
                          into: args.gradInputs[k]!, context)
            return
        }
        // ε-rule with the other factor held constant: s = R ⊘ (Z ± ε), R_k += X_k ⊙ ∂⟨s, Z⟩/∂X_k.
        let z = args.output, r = args.gradOutput, eps = rule.stabilizer
        var s = [Float](repeating: 0, count: z.count)
        for i in 0..<z.count {
            let d = z[i] + (z[i] >= 0 ? eps : -eps)
            s[i] = d == 0 ? 0 : r.pointer[i] / d
        }
        let share: Float = takes.count == 2 ? 0.5 : 1
        for k in takes {
            let x = args.inputs[k], into = args.gradInputs[k]!
            var c = [Float](repeating: 0, count: x.count)
            s.withUnsafeMutableBufferPointer { sp in c.withUnsafeMutableBufferPointer { cp in
                var wanted: [MutableView?] = [nil, nil]
                wanted[k] = MutableView(pointer: cp.baseAddress!, shape: x.shape)
                backward(BackwardArguments(inputs: args.inputs, output: z, gradOutput: MutableView(pointer: sp.baseAddress!, shape: z.shape),
                                           gradInputs: wanted), context)
            } }
            for i in 0..<x.count { into.pointer[i] += share * x[i] * c[i] }
        }
    }
}
