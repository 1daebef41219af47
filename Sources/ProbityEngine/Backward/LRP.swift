/// A layer that is linear in its data input: z = W·x + b. Conv and Gemm conform, so the LRP
/// rules below are written once for both.
public protocol LinearLayer {
    /// z = W·x + b (no fused activation).
    func linearForward(x: ConstView, weight: ConstView, bias: ConstView?, into z: MutableView, _ context: ExecutionContext)
    /// dx += Wᵀ·dz.
    func linearBackwardData(_ dz: ConstView, weight: ConstView, into dx: MutableView, _ context: ExecutionContext)
}

/// An op with a fused activation epilogue (Conv, Gemm): its linear part is its own forward
/// with the activation set to identity.
public protocol FusedActivation: Operator {
    var activation: Activation.Kind { get set }
}

extension LinearLayer where Self: FusedActivation {
    public func linearForward(x: ConstView, weight: ConstView, bias: ConstView?, into z: MutableView, _ context: ExecutionContext) {
        var plain = self
        plain.activation = .identity
        plain.forward(bias.map { [x, weight, $0] } ?? [x, weight], z, context)
    }
}

/// Layer-wise relevance propagation through one linear layer (rules in `BackwardRule.Linear`).
///
/// Every rule is a sum of terms of one shape (Montavon et al. 2019, eq. 5 generalized):
/// z′ = Σᵢ ρᵢ(W)·xᵢ′ + ρ(b), s = R ⊘ (z′ + ε·sign z′), R_in += Σᵢ xᵢ′ ⊙ ρᵢ(W)ᵀ·s — the
/// "gradient × input" trick that Zennit and Captum use, computed with the layer's own forward
/// and transposed kernels. sign(0) = +1, as Zennit's stabilizer.
public enum LRP {
    struct Term {
        var x: [Float]
        var weight: [Float]
    }

    public static func propagate(_ layer: LinearLayer, rule: BackwardRule.Linear, stabilizer: Float,
                                 x: ConstView, weight: ConstView, bias: ConstView?, relevance: ConstView,
                                 into rIn: MutableView, _ context: ExecutionContext) {
        let xs = Array(UnsafeBufferPointer(start: x.pointer, count: x.count))
        let ws = Array(UnsafeBufferPointer(start: weight.pointer, count: weight.count))
        let bs = bias.map { Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count)) }
        let pos = { (v: [Float]) in v.map { Swift.max($0, 0) } }
        let neg = { (v: [Float]) in v.map { Swift.min($0, 0) } }
        let ones = [Float](repeating: 1, count: xs.count)
        let biasShape = bias?.shape
        func run(_ terms: [Term], bias: [Float]?, epsilon: Float, scale: Float) {
            addTerm(layer, terms, bias: bias, epsilon: epsilon, scale: scale, shapes: (x.shape, weight.shape, biasShape),
                    relevance: relevance, into: rIn, context)
        }
        switch rule {
        case .gradient:
            layer.linearBackwardData(relevance, weight: weight, into: rIn, context)
        case .epsilon(let e):
            run([Term(x: xs, weight: ws)], bias: bs, epsilon: e, scale: 1)
        case .gamma(let g):
            let rho = { (v: [Float]) in v.map { $0 + g * Swift.max($0, 0) } }
            run([Term(x: xs, weight: rho(ws))], bias: bs.map(rho), epsilon: stabilizer, scale: 1)
        case .zPlus:
            run([Term(x: pos(xs), weight: pos(ws)), Term(x: neg(xs), weight: neg(ws))], bias: nil, epsilon: stabilizer, scale: 1)
        case .alphaBeta(let alpha, let beta):
            run([Term(x: pos(xs), weight: pos(ws)), Term(x: neg(xs), weight: neg(ws))], bias: bs.map(pos), epsilon: stabilizer, scale: alpha)
            if beta != 0 {
                run([Term(x: pos(xs), weight: neg(ws)), Term(x: neg(xs), weight: pos(ws))], bias: bs.map(neg), epsilon: stabilizer, scale: -beta)
            }
        case .flat:
            run([Term(x: ones, weight: [Float](repeating: 1, count: ws.count))], bias: nil, epsilon: stabilizer, scale: 1)
        case .wSquare:
            run([Term(x: ones, weight: ws.map { $0 * $0 })], bias: nil, epsilon: stabilizer, scale: 1)
        case .zBox(let low, let high):
            let c = x.shape.count > 1 ? x.shape[1] : 1
            let plane = xs.count / Swift.max(1, x.shape[0] * c)
            func bound(_ v: [Float]) -> [Float] {
                (0..<xs.count).map { i in v.count == 1 ? v[0] : v[(i / plane) % c] }
            }
            run([Term(x: xs, weight: ws), Term(x: bound(low), weight: pos(ws).map { -$0 }), Term(x: bound(high), weight: neg(ws).map { -$0 })],
                bias: nil, epsilon: stabilizer, scale: 1)
        }
    }

    /// R_in += scale · Σᵢ xᵢ ⊙ Wᵢᵀ·(R ⊘ stab(Σᵢ Wᵢ·xᵢ + b)).
    static func addTerm(_ layer: LinearLayer, _ terms: [Term], bias: [Float]?, epsilon: Float, scale: Float,
                        shapes: (x: [Int], w: [Int], b: [Int]?), relevance: ConstView, into rIn: MutableView, _ context: ExecutionContext) {
        let outCount = relevance.count
        var z = [Float](repeating: 0, count: outCount)
        var part = [Float](repeating: 0, count: outCount)
        let zeroBias = bias == nil ? nil : [Float](repeating: 0, count: bias!.count)
        for (k, term) in terms.enumerated() {
            let b = k == 0 ? bias : zeroBias
            term.x.withUnsafeBufferPointer { xp in term.weight.withUnsafeBufferPointer { wp in part.withUnsafeMutableBufferPointer { pp in
                let xv = ConstView(pointer: xp.baseAddress!, shape: shapes.x), wv = ConstView(pointer: wp.baseAddress!, shape: shapes.w)
                let out = MutableView(pointer: pp.baseAddress!, shape: relevance.shape)
                if let b {
                    b.withUnsafeBufferPointer { bp in
                        layer.linearForward(x: xv, weight: wv, bias: ConstView(pointer: bp.baseAddress!, shape: shapes.b!), into: out, context)
                    }
                } else {
                    layer.linearForward(x: xv, weight: wv, bias: nil, into: out, context)
                }
            } } }
            for i in 0..<outCount { z[i] += part[i] }
        }
        var s = [Float](repeating: 0, count: outCount)
        for i in 0..<outCount {
            let d = z[i] + (z[i] >= 0 ? epsilon : -epsilon)
            s[i] = d == 0 ? 0 : relevance[i] / d
        }
        var c = [Float](repeating: 0, count: rIn.count)
        for term in terms {
            for i in c.indices { c[i] = 0 }
            s.withUnsafeBufferPointer { sp in term.weight.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                layer.linearBackwardData(ConstView(pointer: sp.baseAddress!, shape: relevance.shape),
                                         weight: ConstView(pointer: wp.baseAddress!, shape: shapes.w),
                                         into: MutableView(pointer: cp.baseAddress!, shape: rIn.shape), context)
            } } }
            for i in 0..<rIn.count { rIn.pointer[i] += scale * term.x[i] * c[i] }
        }
    }
}
