import ProbityCore

/// 2-D convolution (ONNX Conv on NCHW): groups (depthwise included), strides, dilations,
/// asymmetric pads, optional bias, and an optional fused activation epilogue.
///
/// Kernels: a 1×1 convolution with stride 1 and no padding is one `sgemm` per sample and
/// group (W[M, C] × X[C, H·W]); a depthwise convolution (one input channel per group) is a
/// direct loop over a zero-padded copy of each plane (`depthwisePlane`); everything else is
/// im2col + `sgemm`. Work is split over samples (one `sgemm` per sample and group, so a sample's result never depends on its batch).
public struct Conv: Operator {
    public var type: String { "Conv" }
    public var strides: (Int, Int) = (1, 1)
    public var dilations: (Int, Int) = (1, 1)
    /// Top, left, bottom, right.
    public var pads: (Int, Int, Int, Int) = (0, 0, 0, 0)
    public var group: Int = 1
    /// Applied to the output after the bias (set by the planner's fusion).
    public var activation: Activation.Kind = .identity

    public init(strides: (Int, Int) = (1, 1), dilations: (Int, Int) = (1, 1), pads: (Int, Int, Int, Int) = (0, 0, 0, 0), group: Int = 1) {
        self.strides = strides; self.dilations = dilations; self.pads = pads; self.group = group
    }

    /// Output extent along one axis.
    static func extent(_ n: Int, kernel k: Int, stride s: Int, dilation d: Int, padBegin: Int, padEnd: Int) -> Int {
        (n + padBegin + padEnd - (d * (k - 1) + 1)) / s + 1
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 2 || inputs.count == 3 else { throw shapeError(type, "expects X, W and an optional B") }
        let x = inputs[0], w = inputs[1]
        guard x.count == 4, w.count == 4 else { throw shapeError(type, "only 2-D convolution (4-D X and W) is supported, got X \(x), W \(w)") }
        guard x[1] == w[1] * group, w[0] % group == 0 else { throw shapeError(type, "X \(x) and W \(w) do not fit group \(group)") }
        if inputs.count == 3 { guard inputs[2] == [w[0]] else { throw shapeError(type, "bias \(inputs[2]) must be [\(w[0])]") } }
        let ho = Conv.extent(x[2], kernel: w[2], stride: strides.0, dilation: dilations.0, padBegin: pads.0, padEnd: pads.2)
        let wo = Conv.extent(x[3], kernel: w[3], stride: strides.1, dilation: dilations.1, padBegin: pads.1, padEnd: pads.3)
        guard ho > 0, wo > 0 else { throw shapeError(type, "kernel \(w) larger than padded input \(x)") }
        return [x[0], w[0], ho, wo]
    }

    public func flops(inputs: [[Int]], output: [Int]) -> Int {
        let w = inputs[1]
        return 2 * output.reduce(1, *) * w[1] * w[2] * w[3]
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let x = inputs[0], w = inputs[1]
        let bias: UnsafePointer<Float>? = inputs.count > 2 ? inputs[2].pointer : nil
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let (ho, wo) = (output.shape[2], output.shape[3])
        let cg = c / group, mg = m / group
        let plane = ho * wo
        let y = output.pointer

        if cg == 1 && mg == 1 {
            // Depthwise: one plane in, one plane out. Parallel over (sample, channel).
            let workspace = Conv.flatWorkspace(h: h, w: wd, kh: kh, kw: kw, stride: strides.0, pads: pads, ho: ho, wo: wo)
            context.parallel(n * c) { item, thread in
                let ch = item % c
                Conv.depthwisePlane(x.pointer + item * h * wd, h: h, w: wd, kernel: w.pointer + ch * kh * kw, kh: kh, kw: kw,
                                    strides: strides, dilations: dilations, pads: pads,
                                    out: y + item * plane, ho: ho, wo: wo, workspace: context.scratch(thread, count: workspace))
                Conv.epilogue(y + item * plane, count: plane, bias: bias.map { $0[ch] } ?? 0, activation)
            }
            return
        }

        let pointwise = kh == 1 && kw == 1 && strides == (1, 1) && pads == (0, 0, 0, 0)
        let k = cg * kh * kw
        // One call per sample and group, whatever the batch size or thread count: OpenBLAS
        // kernels may round a row differently by its position and by the call's row count (seen
        // with the Haswell kernels), so a sample's output is bit-identical alone or in a batch
        // only when every sample goes through the same calls. Parallel over (sample, group); a
        // batch of one runs its convolutions on one thread.
        let blocks = 1
        context.parallel(n * group * blocks) { item, thread in
            let block = item % blocks
            let g = (item / blocks) % group
            let s = item / (blocks * group)
            let xin = x.pointer + (s * c + g * cg) * h * wd
            let b: UnsafePointer<Float>
            if pointwise {
                b = xin
            } else {
                let col = context.scratch(thread, count: k * plane)
                Conv.im2col(xin, channels: cg, h: h, w: wd, kh: kh, kw: kw, strides: strides, dilations: dilations, pads: pads,
                            ho: ho, wo: wo, into: col)
                b = UnsafePointer(col)
            }
            let m0 = mg * block / blocks, m1 = mg * (block + 1) / blocks
            let out = y + (s * m + g * mg + m0) * plane
            BLAS.sgemm(m: m1 - m0, n: plane, k: k, a: w.pointer + (g * mg + m0) * k, lda: k, b: b, ldb: plane, c: out, ldc: plane)
            for oc in m0..<m1 {
                Conv.epilogue(y + (s * m + g * mg + oc) * plane, count: plane, bias: bias.map { $0[g * mg + oc] } ?? 0, activation)
            }
        }
    }

    /// Adds a per-channel bias and applies the fused activation, in place: one pass over the
    /// plane for ReLU and clips (ReLU6), the same operations in the same order as adding
    /// first and applying after, so the values are the same bit for bit.
    @inline(__always)
    static func epilogue(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, _ activation: Activation.Kind) {
        if bias != 0 {
            switch activation {
            case .relu:
                for i in 0..<count { p[i] = Swift.max(p[i] + bias, 0) }
                return
            case .clip(let lo, let hi):
                clip(p, count: count, bias: bias, lo: lo, hi: hi)
                return
            default:
                for i in 0..<count { p[i] += bias }
            }
        }
        if activation != .identity { Activation.apply(activation, from: p, to: p, count: count) }
    }

    /// p[i] = min(max(p[i] + bias, lo), hi) (ReLU6 after a folded BatchNorm), eight lanes at a
    /// time. The lanes choose as `Swift.max` and `Swift.min` do (lo where lo ≥ v, hi where
    /// hi < v, NaN passes), so every value equals the scalar loop's bit for bit.
    static func clip(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, lo: Float, hi: Float) {
        let b = SIMD8<Float>(repeating: bias), l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
        var i = 0
        while i + 8 <= count {
            var v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) + b
            v.replace(with: l, where: v .<= l)
            v.replace(with: h, where: h .< v)
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { p[i] = Swift.min(Swift.max(p[i] + bias, lo), hi); i += 1 }
    }

    /// The output columns `ox` for which input column `ox·stride + offset` lies in [0, w).
    @inline(__always)
    static func validRange(offset: Int, stride: Int, w: Int, wo: Int) -> Range<Int> {
        // ox·s + offset ≥ 0  ⇔  ox ≥ ceil(−offset / s);  ox·s + offset ≤ w − 1.
        let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let hiRaw = w - 1 - offset
        let hi = hiRaw < 0 ? 0 : Swift.min(wo, hiRaw / stride + 1)
        return lo < hi ? lo..<hi : 0..<0
    }

    /// Unfolds patches: row (ci, ky, kx), column (oy, ox). Zero where the patch leaves the input.
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, h: Int, w: Int, kh: Int, kw: Int,
                       strides: (Int, Int), dilations: (Int, Int), pads: (Int, Int, Int, Int),
                       ho: Int, wo: Int, into col: UnsafeMutablePointer<Float>) {
        let (sy, sx) = strides, (dy, dx) = dilations
        var row = col
        for ci in 0..<channels {
            let xc = x + ci * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let offX = kx * dx - pads.1
                    let valid = validRange(offset: offX, stride: sx, w: w, wo: wo)
                    for oy in 0..<ho {
                        let out = row + oy * wo
                        let iy = oy * sy + ky * dy - pads.0
                        if iy < 0 || iy >= h || valid.isEmpty {
                            out.update(repeating: 0, count: wo)
                            continue
                        }
                        if valid.lowerBound > 0 { out.update(repeating: 0, count: valid.lowerBound) }
                        if valid.upperBound < wo { (out + valid.upperBound).update(repeating: 0, count: wo - valid.upperBound) }
                        let src = xc + iy * w + offX
                        if sx == 1 {
                            (out + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            for ox in valid { out[ox] = src[ox * sx] }
                        }
                    }
                    row += ho * wo
                }
            }
        }
    }

    /// One depthwise plane: out[oy, ox] = Σ k[ky, kx] · x[oy·s + ky·d − pad, ox·s + kx·d − pad].
    ///
    /// Without dilation (and with equal strides) this is `flatDepthwise`. Otherwise the plane is
    /// copied into a zero-padded buffer, so no tap ever leaves it and the inner loops have no
    /// bounds logic; for stride sx the buffer's rows are stored as sx column phases (phase r
    /// holds padded columns r, r + sx, …), so every tap of every output row is a contiguous
    /// run. Each output row takes all kw taps of a kernel row in one vectorized pass (unrolled
    /// for kw = 3 and 5).
    static func depthwisePlane(_ x: UnsafePointer<Float>, h: Int, w: Int, kernel: UnsafePointer<Float>, kh: Int, kw: Int,
                               strides: (Int, Int), dilations: (Int, Int), pads: (Int, Int, Int, Int),
                               out: UnsafeMutablePointer<Float>, ho: Int, wo: Int, workspace: UnsafeMutablePointer<Float>? = nil) {
        let (sy, sx) = strides, (dy, dx) = dilations
        if sx == sy && dx == 1 && dy == 1 {
            flatDepthwise(x, h: h, w: w, kernel: kernel, kh: kh, kw: kw, stride: sx, pads: pads, out: out, ho: ho, wo: wo, workspace: workspace)
            return
        }
        let ph = Swift.max(h + pads.0 + pads.2, (ho - 1) * sy + (kh - 1) * dy + 1)
        let pw = Swift.max(w + pads.1 + pads.3, (wo - 1) * sx + (kw - 1) * dx + 1)
        let phaseLength = (pw + sx - 1) / sx
        let rowLength = sx * phaseLength
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: ph * rowLength)
        defer { buffer.deallocate() }
        buffer.update(repeating: 0, count: ph * rowLength)
        for iy in 0..<h {
            let src = x + iy * w
            splitRow(src, count: w, padLeft: pads.1, stride: sx, into: buffer + (iy + pads.0) * rowLength, phaseDistance: phaseLength)
        }
        for oy in 0..<ho {
            let d = out + oy * wo
            d.update(repeating: 0, count: wo)
            for ky in 0..<kh {
                let row = UnsafePointer(buffer + (oy * sy + ky * dy) * rowLength)
                // Tap kx reads padded column ox·sx + kx·dx = (ox + q)·sx + r.
                func tap(_ kx: Int) -> UnsafePointer<Float> {
                    let c = kx * dx
                    return row + (c % sx) * phaseLength + c / sx
                }
                let wk = kernel + ky * kw
                switch kw {
                case 3:
                    let (p0, p1, p2) = (tap(0), tap(1), tap(2))
                    let (w0, w1, w2) = (wk[0], wk[1], wk[2])
                    for i in 0..<wo { d[i] += w0 * p0[i] + w1 * p1[i] + w2 * p2[i] }
                case 5:
                    let (p0, p1, p2, p3, p4) = (tap(0), tap(1), tap(2), tap(3), tap(4))
                    let (w0, w1, w2, w3, w4) = (wk[0], wk[1], wk[2], wk[3], wk[4])
                    for i in 0..<wo { d[i] += w0 * p0[i] + w1 * p1[i] + w2 * p2[i] + w3 * p3[i] + w4 * p4[i] }
                default:
                    for kx in 0..<kw { axpy(wk[kx], tap(kx), d, wo) }
                }
            }
        }
    }

    /// Depthwise plane without dilation, as flat vector passes. The zero-padded plane is split
    /// into s × s phase planes, plane (a, b)[y][x] = padded[s·y + a][s·x + b], each with rows of
    /// L = ⌈pw/s⌉. Output (oy, ox) at flat position i = oy·L + ox takes tap (ky, kx) from phase
    /// plane (ky mod s, kx mod s) at i + ⌊ky/s⌋·L + ⌊kx/s⌋: one long pass over the whole output
    /// per tap (per kernel row when s = 1), instead of many short row passes. Columns ox ≥ wo
    /// are computed and dropped.
    static func flatDepthwise(_ x: UnsafePointer<Float>, h: Int, w: Int, kernel: UnsafePointer<Float>, kh: Int, kw: Int,
                              stride s: Int, pads: (Int, Int, Int, Int), out: UnsafeMutablePointer<Float>, ho: Int, wo: Int,
                              workspace: UnsafeMutablePointer<Float>? = nil) {
        let (rows, length) = flatLayout(h: h, w: w, kh: kh, kw: kw, stride: s, pads: pads, ho: ho, wo: wo)
        let planeSize = rows * length
        let count = ho * length
        // The phase planes and the flat output live in the caller's per-thread workspace (one
        // allocation per thread, not two per plane), or in a buffer of their own.
        let owned = workspace == nil ? UnsafeMutablePointer<Float>.allocate(capacity: s * s * planeSize + kw + count) : nil
        defer { owned?.deallocate() }
        let planes = workspace ?? owned!
        let flat = planes + s * s * planeSize + kw
        planes.update(repeating: 0, count: s * s * planeSize + kw)
        flat.update(repeating: 0, count: count)
        for iy in 0..<h {
            let py = iy + pads.0
            let src = x + iy * w
            splitRow(src, count: w, padLeft: pads.1, stride: s, into: planes + (py % s) * s * planeSize + (py / s) * length, phaseDistance: planeSize)
        }
        for ky in 0..<kh {
            let wk = kernel + ky * kw
            if s == 1 {
                let row = UnsafePointer(planes + ky * length)
                switch kw {
                case 3:
                    let (w0, w1, w2) = (wk[0], wk[1], wk[2])
                    for i in 0..<count { flat[i] += w0 * row[i] + w1 * row[i + 1] + w2 * row[i + 2] }
                case 5:
                    let (w0, w1, w2, w3, w4) = (wk[0], wk[1], wk[2], wk[3], wk[4])
                    for i in 0..<count { flat[i] += w0 * row[i] + w1 * row[i + 1] + w2 * row[i + 2] + w3 * row[i + 3] + w4 * row[i + 4] }
                default:
                    for kx in 0..<kw { axpy(wk[kx], row + kx, flat, count) }
                }
            } else {
                for kx in 0..<kw {
                    let plane = planes + ((ky % s) * s + kx % s) * planeSize
                    axpy(wk[kx], plane + (ky / s) * length + kx / s, flat, count)
                }
            }
        }
        for oy in 0..<ho { (out + oy * wo).update(from: flat + oy * length, count: wo) }
    }

    /// Rows and row length of `flatDepthwise`'s phase planes.
    static func flatLayout(h: Int, w: Int, kh: Int, kw: Int, stride s: Int, pads: (Int, Int, Int, Int), ho: Int, wo: Int) -> (rows: Int, length: Int) {
        let ph = Swift.max(h + pads.0 + pads.2, (ho - 1) * s + kh)
        let pw = Swift.max(w + pads.1 + pads.3, (wo - 1) * s + kw)
        return ((ph + s - 1) / s + 1, (pw + s - 1) / s)
    }

    /// Floats of workspace `flatDepthwise` needs: s² phase planes, kw floats of slack, the flat output.
    static func flatWorkspace(h: Int, w: Int, kh: Int, kw: Int, stride s: Int, pads: (Int, Int, Int, Int), ho: Int, wo: Int) -> Int {
        let (rows, length) = flatLayout(h: h, w: w, kh: kh, kw: kw, stride: s, pads: pads, ho: ho, wo: wo)
        return s * s * rows * length + kw + ho * length
    }

    /// Floats of workspace the undilated path of `depthwiseBackwardPlane` needs: s² phase planes
    /// and kw floats of slack, then the flat gradient with kw − 1 zeros before it and kw after.
    static func flatBackwardWorkspace(h: Int, w: Int, kh: Int, kw: Int, stride s: Int, pads: (Int, Int, Int, Int), ho: Int, wo: Int) -> Int {
        let (rows, length) = flatLayout(h: h, w: w, kh: kh, kw: kw, stride: s, pads: pads, ho: ho, wo: wo)
        return s * s * rows * length + kw + (kw - 1) + ho * length + kw
    }

    /// Writes one input row into its `stride` column phases of a zero-padded layout: phase b
    /// (at `dst + b · phaseDistance`) element j holds padded column stride·j + b, i.e. input
    /// column stride·j + b − padLeft. With stride 1 this is a copy shifted by `padLeft`.
    @inline(__always)
    static func splitRow(_ src: UnsafePointer<Float>, count w: Int, padLeft: Int, stride s: Int,
                         into dst: UnsafeMutablePointer<Float>, phaseDistance: Int) {
        if s == 1 {
            (dst + padLeft).update(from: src, count: w)
            return
        }
        if s == 2 {
            // Input column ix lands in padded column ix + padLeft: even ix in phase padLeft & 1 at
            // (padLeft >> 1) + ix/2, odd ix in the other phase at ((padLeft + 1) >> 1) + ix/2.
            // Sixteen inputs at a time split into their even and odd halves with one shuffle each.
            let evens = dst + (padLeft & 1) * phaseDistance + (padLeft >> 1)
            let odds = dst + (1 - (padLeft & 1)) * phaseDistance + ((padLeft + 1) >> 1)
            var t = 0
            while 2 * t + 16 <= w {
                let v = UnsafeRawPointer(src + 2 * t).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(evens + t).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(odds + t).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                t += 8
            }
            while 2 * t < w {
                evens[t] = src[2 * t]
                if 2 * t + 1 < w { odds[t] = src[2 * t + 1] }
                t += 1
            }
            return
        }
        for b in 0..<s {
            let phase = dst + b * phaseDistance
            var j = Swift.max(0, (padLeft - b + s - 1) / s)
            var ix = j * s + b - padLeft
            while ix < w { phase[j] = src[ix]; j += 1; ix += s }
        }
    }

    /// y[i] += a · x[i], i < n: a contiguous loop the compiler vectorizes.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] += a * x[i] }
    }
}

// MARK: - Backward

extension Conv: LinearLayer, FusedActivation {
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let dz = args.gradOutput
        // With an input gradient to compute, f′ of the fused activation is applied block by
        // block inside its loop, just before each block of dz is read (one pass over dz, not two).
        let fused = activation != .identity && !args.rule.linear.isLRP && args.gradInputs[0] != nil
        if activation != .identity && !fused {
            activation.applyDerivative(output: args.output.pointer, to: dz.pointer, count: dz.count, rule: args.rule, context)
        }
        let x = args.inputs[0], w = args.inputs[1]
        let bias = args.inputs.count > 2 ? args.inputs[2] : nil
        if args.rule.linear.isLRP {
            if let rIn = args.gradInputs[0] {
                LRP.propagate(self, rule: args.rule.linear, stabilizer: args.rule.stabilizer, x: x, weight: w, bias: bias,
                              relevance: dz.readOnly, into: rIn, context)
            }
            return
        }
        if let dx = args.gradInputs[0] {
            let derivative = fused ? Derivative(kind: activation, output: args.output.pointer, gradient: dz.pointer, rule: args.rule) : nil
            backwardData(dz.readOnly, weight: w, into: dx, derivative: derivative, fresh: args.isFresh(0), context)
        }
        if args.gradInputs.count > 1, let dw = args.gradInputs[1] { backwardWeight(dz.readOnly, x: x, into: dw, context) }
        if args.gradInputs.count > 2, let db = args.gradInputs[2] {
            let (n, m) = (dz.shape[0], dz.shape[1])
            let plane = dz.shape[2] * dz.shape[3]
            for s in 0..<n {
                for o in 0..<m {
                    let p = dz.pointer + (s * m + o) * plane
                    var sum: Float = 0
                    for i in 0..<plane { sum += p[i] }
                    db.pointer[o] += sum
                }
            }
        }
    }

    /// dx += convᵀ(dz; weight): the gradient of a convolution with respect to its input.
    /// Pointwise: one sgemm (Wᵀ·dZ) per sample and group; general: Wᵀ·dZ into columns, then
    /// col2im; depthwise: the transposed direct loop. Parallel over samples (one call each, so
    /// a sample's gradient never depends on its batch).
    public func linearBackwardData(_ dz: ConstView, weight w: ConstView, into dx: MutableView, _ context: ExecutionContext) {
        backwardData(dz, weight: w, into: dx, derivative: nil, fresh: false, context)
    }

    /// The input gradient is written whole (`backwardData(fresh: true)`) under the chain rule;
    /// LRP's propagation adds to it.
    public func writesFreshGradient(input index: Int, rule: NodeRule, inputs: [[Int]], output: [Int]) -> Bool {
        index == 0 && !rule.linear.isLRP
    }

    /// The fused activation's derivative, applied in place to dz (`gradient`, the same memory)
    /// from the output y, block by block.
    struct Derivative {
        var kind: Activation.Kind
        var output: UnsafePointer<Float>
        var gradient: UnsafeMutablePointer<Float>
        var rule: NodeRule
        /// dz ← dz · f′(y) on elements offset..<offset + count.
        @inline(__always)
        func apply(_ offset: Int, _ count: Int) { kind.applyDerivative(output: output + offset, to: gradient + offset, count: count, rule: rule) }
    }

    /// `linearBackwardData`, first applying `derivative` to each block of dz (a plane, or a
    /// sample's group of channels) in the loop that reads it. With `fresh`, dx holds no
    /// contribution yet (unspecified memory) and is written, not added to: β = 0 in the
    /// pointwise sgemm, stores in the depthwise loops, each block zeroed just before col2im.
    func backwardData(_ dz: ConstView, weight w: ConstView, into dx: MutableView, derivative: Derivative?, fresh: Bool,
                      _ context: ExecutionContext) {
        let (n, c, h, wd) = (dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3])
        let (m, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let (ho, wo) = (dz.shape[2], dz.shape[3])
        let cg = c / group, mg = m / group
        let plane = ho * wo
        if cg == 1 && mg == 1 {
            // Only the flat form (undilated, equal strides) works in the per-thread workspace.
            let flat = strides.0 == strides.1 && dilations == (1, 1)
            let workspace = flat ? Conv.flatBackwardWorkspace(h: h, w: wd, kh: kh, kw: kw, stride: strides.0, pads: pads, ho: ho, wo: wo) : 0
            context.parallel(n * c) { item, thread in
                let ch = item % c
                derivative?.apply(item * plane, plane)
                Conv.depthwiseBackwardPlane(dz.pointer + item * plane, ho: ho, wo: wo, kernel: w.pointer + ch * kh * kw, kh: kh, kw: kw,
                                            strides: strides, dilations: dilations, pads: pads, into: dx.pointer + item * h * wd, h: h, w: wd,
                                            workspace: flat ? context.scratch(thread, count: workspace) : nil, overwrite: fresh)
            }
            return
        }
        let pointwise = kh == 1 && kw == 1 && strides == (1, 1) && pads == (0, 0, 0, 0)
        // One call per sample and group, as forward, so a sample's gradient does not depend on its batch.
        // Wᵀ per group, [cg·kh·kw, mg], so every sgemm reads its A operand untransposed.
        let k = cg * kh * kw
        let wt = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        defer { wt.deallocate() }
        for g in 0..<group {
            let src = w.pointer + g * mg * k, dst = wt + g * mg * k
            for o in 0..<mg { for r in 0..<k { dst[r * mg + o] = src[o * k + r] } }
        }
        context.parallel(n * group) { item, thread in
            let g = item % group
            let s = item / group
            let dxg = dx.pointer + (s * c + g * cg) * h * wd
            let dzg = dz.pointer + (s * m + g * mg) * plane
            let wtg = UnsafePointer(wt + g * mg * k)
            derivative?.apply((s * m + g * mg) * plane, mg * plane)
            if pointwise {
                // dX[g, HW] += Wᵀ[g] · dZ[g]
                BLAS.sgemm(m: k, n: plane, k: mg, a: wtg, lda: mg, b: dzg, ldb: plane, beta: fresh ? 0 : 1, c: dxg, ldc: plane)
            } else {
                if fresh { dxg.update(repeating: 0, count: cg * h * wd) }
                let col = context.scratch(thread, count: k * plane)
                BLAS.sgemm(m: k, n: plane, k: mg, a: wtg, lda: mg, b: dzg, ldb: plane, c: col, ldc: plane)
                Conv.col2im(UnsafePointer(col), channels: cg, h: h, w: wd, kh: kh, kw: kw, strides: strides, dilations: dilations,
                            pads: pads, ho: ho, wo: wo, into: dxg)
            }
        }
    }

    /// dW += dZ · colᵀ summed over samples (per-thread partial sums, added in thread order).
    func backwardWeight(_ dz: ConstView, x: ConstView, into dw: MutableView, _ context: ExecutionContext) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, kh, kw) = (dw.shape[0], dw.shape[2], dw.shape[3])
        let (ho, wo) = (dz.shape[2], dz.shape[3])
        let cg = c / group, mg = m / group
        let plane = ho * wo, k = cg * kh * kw
        let workers = Swift.min(context.threads, n)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: workers * dw.count)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: workers * dw.count)
        let depthwise = cg == 1 && mg == 1
        let pointwise = kh == 1 && kw == 1 && strides == (1, 1) && pads == (0, 0, 0, 0)
        context.parallel(workers) { t, _ in
            let acc = partial + t * dw.count
            let col = depthwise || pointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: k * plane)
            defer { col?.deallocate() }
            for s in (n * t / workers)..<(n * (t + 1) / workers) {
                if depthwise {
                    for ch in 0..<c {
                        Conv.depthwiseWeightGradient(dz.pointer + (s * c + ch) * plane, ho: ho, wo: wo, x: x.pointer + (s * c + ch) * h * wd, h: h, w: wd,
                                                     kh: kh, kw: kw, strides: strides, dilations: dilations, pads: pads, into: acc + ch * kh * kw)
                    }
                    continue
                }
                for g in 0..<group {
                    let xin = x.pointer + (s * c + g * cg) * h * wd
                    let b: UnsafePointer<Float>
                    if let col {
                        Conv.im2col(xin, channels: cg, h: h, w: wd, kh: kh, kw: kw, strides: strides, dilations: dilations, pads: pads,
                                    ho: ho, wo: wo, into: col)
                        b = UnsafePointer(col)
                    } else {
                        b = xin
                    }
                    BLAS.sgemm(transB: true, m: mg, n: k, k: plane, a: dz.pointer + (s * m + g * mg) * plane, lda: plane,
                               b: b, ldb: plane, beta: 1, c: acc + g * mg * k, ldc: k)
                }
            }
        }
        for t in 0..<workers { for i in 0..<dw.count { dw.pointer[i] += partial[t * dw.count + i] } }
    }

    /// The transpose of `im2col`: adds each column entry back to the input element it was read from.
    static func col2im(_ col: UnsafePointer<Float>, channels: Int, h: Int, w: Int, kh: Int, kw: Int,
                       strides: (Int, Int), dilations: (Int, Int), pads: (Int, Int, Int, Int),
                       ho: Int, wo: Int, into x: UnsafeMutablePointer<Float>) {
        let (sy, sx) = strides, (dy, dx) = dilations
        var row = col
        for ci in 0..<channels {
            let xc = x + ci * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let offX = kx * dx - pads.1
                    let valid = validRange(offset: offX, stride: sx, w: w, wo: wo)
                    for oy in 0..<ho {
                        let iy = oy * sy + ky * dy - pads.0
                        if iy < 0 || iy >= h || valid.isEmpty { continue }
                        let src = row + oy * wo
                        let dst = xc + iy * w + offX
                        if sx == 1 {
                            for ox in valid { dst[ox] += src[ox] }
                        } else {
                            for ox in valid { dst[ox * sx] += src[ox] }
                        }
                    }
                    row += ho * wo
                }
            }
        }
    }

    /// One depthwise plane backward: dx[iy, ix] += Σ k[ky, kx] · dz[oy, ox] over the taps that
    /// read (iy, ix). Undilated equal strides use the transpose of `flatDepthwise` (flat
    /// passes into stride-phase planes); the rest a padded buffer row by row.
    static func depthwiseBackwardPlane(_ dz: UnsafePointer<Float>, ho: Int, wo: Int, kernel: UnsafePointer<Float>, kh: Int, kw: Int,
                                       strides: (Int, Int), dilations: (Int, Int), pads: (Int, Int, Int, Int),
                                       into dx: UnsafeMutablePointer<Float>, h: Int, w: Int, workspace: UnsafeMutablePointer<Float>? = nil,
                                       overwrite: Bool = false) {
        let (sy, sx) = strides, (dy, ddx) = dilations
        if sx == sy && dy == 1 && ddx == 1 {
            let s = sx
            let (rows, length) = flatLayout(h: h, w: w, kh: kh, kw: kw, stride: s, pads: pads, ho: ho, wo: wo)
            let planeSize = rows * length
            let count = ho * length
            // The phase planes, then dz laid out with rows of `length` (columns ≥ wo zero) after
            // kw − 1 leading zeros so the gather form below never reads before it: in the
            // caller's per-thread workspace, or in a buffer of their own.
            let front = kw - 1
            let owned = workspace == nil
                ? UnsafeMutablePointer<Float>.allocate(capacity: flatBackwardWorkspace(h: h, w: w, kh: kh, kw: kw, stride: s, pads: pads, ho: ho, wo: wo))
                : nil
            defer { owned?.deallocate() }
            let planes = workspace ?? owned!
            let flatBuffer = planes + s * s * planeSize + kw
            planes.update(repeating: 0, count: s * s * planeSize + kw)
            flatBuffer.update(repeating: 0, count: front + count + kw)
            let flat = flatBuffer + front
            for oy in 0..<ho { (flat + oy * length).update(from: dz + oy * wo, count: wo) }
            if s == 1 {
                // Gather form, one pass per kernel row: padded[ky·L + j] += Σ_kx k[ky, kx]·flat[j − kx].
                let span = count + kw - 1
                for ky in 0..<kh {
                    let dst = planes + ky * length
                    let wk = kernel + ky * kw
                    switch kw {
                    case 3:
                        let (w0, w1, w2) = (wk[0], wk[1], wk[2])
                        for j in 0..<span { dst[j] += w0 * flat[j] + w1 * flat[j - 1] + w2 * flat[j - 2] }
                    case 5:
                        let (w0, w1, w2, w3, w4) = (wk[0], wk[1], wk[2], wk[3], wk[4])
                        for j in 0..<span { dst[j] += w0 * flat[j] + w1 * flat[j - 1] + w2 * flat[j - 2] + w3 * flat[j - 3] + w4 * flat[j - 4] }
                    default:
                        for kx in 0..<kw { axpy(wk[kx], flat, dst + kx, count) }
                    }
                }
            } else {
                // Gather form per stride phase: tap (ky, kx) adds k·flat[j] to phase plane
                // (ky mod s, kx mod s) at (ky / s)·L + kx / s + j, so each kernel row and column
                // phase b is one pass over its plane row: dst[j] += Σ_q k[ky, b + q·s]·flat[j − q].
                for ky in 0..<kh {
                    let wk = kernel + ky * kw
                    for b in 0..<Swift.min(s, kw) {
                        let dst = planes + ((ky % s) * s + b) * planeSize + (ky / s) * length
                        switch (kw - b + s - 1) / s {
                        case 1:
                            let w0 = wk[b]
                            for j in 0..<count { dst[j] += w0 * flat[j] }
                        case 2:
                            let (w0, w1) = (wk[b], wk[b + s])
                            for j in 0..<(count + 1) { dst[j] += w0 * flat[j] + w1 * flat[j - 1] }
                        case 3:
                            let (w0, w1, w2) = (wk[b], wk[b + s], wk[b + 2 * s])
                            for j in 0..<(count + 2) { dst[j] += w0 * flat[j] + w1 * flat[j - 1] + w2 * flat[j - 2] }
                        default:
                            for kx in stride(from: b, to: kw, by: s) { axpy(wk[kx], flat, dst + kx / s, count) }
                        }
                    }
                }
            }
            // Back from the phase planes to the input's rows, one phase of columns at a time.
            for iy in 0..<h {
                let py = iy + pads.0
                let dst = dx + iy * w
                let rowBase = UnsafePointer(planes + (py % s) * s * planeSize + (py / s) * length)
                if s == 1 {
                    let src = rowBase + pads.1
                    if overwrite { dst.update(from: src, count: w) } else { for ix in 0..<w { dst[ix] += src[ix] } }
                    continue
                }
                for b in 0..<s {
                    // Input column ix = j·s + b − padLeft comes from phase b's element j.
                    let src = rowBase + b * planeSize
                    let ix0 = ((b - pads.1) % s + s) % s
                    let j0 = (ix0 + pads.1) / s
                    let n = ix0 < w ? (w - ix0 + s - 1) / s : 0
                    if overwrite { for t in 0..<n { dst[ix0 + t * s] = src[j0 + t] } } else { for t in 0..<n { dst[ix0 + t * s] += src[j0 + t] } }
                }
            }
            return
        }
        let ph = Swift.max(h + pads.0 + pads.2, (ho - 1) * sy + (kh - 1) * dy + 1)
        let pw = Swift.max(w + pads.1 + pads.3, (wo - 1) * sx + (kw - 1) * ddx + 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
        defer { buffer.deallocate() }
        buffer.update(repeating: 0, count: ph * pw)
        for oy in 0..<ho {
            let g = dz + oy * wo
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let a = kernel[ky * kw + kx]
                    let row = buffer + (oy * sy + ky * dy) * pw + kx * ddx
                    for ox in 0..<wo { row[ox * sx] += a * g[ox] }
                }
            }
        }
        for iy in 0..<h {
            let src = buffer + (iy + pads.0) * pw + pads.1
            if overwrite { (dx + iy * w).update(from: src, count: w) } else { for ix in 0..<w { dx[iy * w + ix] += src[ix] } }
        }
    }

    /// dk[ky, kx] += Σ dz[oy, ox] · x[oy·sy + ky·dy − pad, ox·sx + kx·dx − pad] for one plane.
    static func depthwiseWeightGradient(_ dz: UnsafePointer<Float>, ho: Int, wo: Int, x: UnsafePointer<Float>, h: Int, w: Int,
                                        kh: Int, kw: Int, strides: (Int, Int), dilations: (Int, Int), pads: (Int, Int, Int, Int),
                                        into dk: UnsafeMutablePointer<Float>) {
        let (sy, sx) = strides, (dy, ddx) = dilations
        for ky in 0..<kh {
            for kx in 0..<kw {
                let offX = kx * ddx - pads.1
                let valid = validRange(offset: offX, stride: sx, w: w, wo: wo)
                var sum: Float = 0
                for oy in 0..<ho {
                    let iy = oy * sy + ky * dy - pads.0
                    if iy < 0 || iy >= h { continue }
                    let src = x + iy * w + offX
                    let g = dz + oy * wo
                    for ox in valid { sum += g[ox] * src[ox * sx] }
                }
                dk[ky * kw + kx] += sum
            }
        }
    }
}
