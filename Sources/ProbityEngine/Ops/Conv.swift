import ProbityCore

/// 2-D convolution (ONNX Conv on NCHW): groups (depthwise included), strides, dilations,
/// asymmetric pads, optional bias, and an optional fused activation epilogue.
///
/// Kernels: a 1×1 convolution with stride 1 and no padding is one `sgemm` per sample and
/// group (W[M, C] × X[C, H·W]); a depthwise convolution (one input channel per group) is a
/// direct loop over a zero-padded copy of each plane (`depthwisePlane`); everything else is
/// im2col + `sgemm`. Work is split over samples (batch ≥ threads) or over output channels.
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
            context.parallel(n * c) { item, _ in
                let ch = item % c
                Conv.depthwisePlane(x.pointer + item * h * wd, h: h, w: wd, kernel: w.pointer + ch * kh * kw, kh: kh, kw: kw,
                                    strides: strides, dilations: dilations, pads: pads,
                                    out: y + item * plane, ho: ho, wo: wo)
                Conv.epilogue(y + item * plane, count: plane, bias: bias.map { $0[ch] } ?? 0, activation)
            }
            return
        }

        let pointwise = kh == 1 && kw == 1 && strides == (1, 1) && pads == (0, 0, 0, 0)
        let k = cg * kh * kw
        // Split over samples when there are enough; otherwise over output-channel blocks.
        let blocks = n >= context.threads ? 1 : Swift.max(1, Swift.min(context.threads, mg / 8))
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

    /// Adds a per-channel bias and applies the fused activation, in place.
    @inline(__always)
    static func epilogue(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, _ activation: Activation.Kind) {
        if bias != 0 { for i in 0..<count { p[i] += bias } }
        if activation != .identity { Activation.apply(activation, from: p, to: p, count: count) }
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
                               out: UnsafeMutablePointer<Float>, ho: Int, wo: Int) {
        let (sy, sx) = strides, (dy, dx) = dilations
        if sx == sy && dx == 1 && dy == 1 {
            flatDepthwise(x, h: h, w: w, kernel: kernel, kh: kh, kw: kw, stride: sx, pads: pads, out: out, ho: ho, wo: wo)
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
                              stride s: Int, pads: (Int, Int, Int, Int), out: UnsafeMutablePointer<Float>, ho: Int, wo: Int) {
        let ph = Swift.max(h + pads.0 + pads.2, (ho - 1) * s + kh)
        let pw = Swift.max(w + pads.1 + pads.3, (wo - 1) * s + kw)
        let rows = (ph + s - 1) / s + 1, length = (pw + s - 1) / s
        let planeSize = rows * length
        let count = ho * length
        let planes = UnsafeMutablePointer<Float>.allocate(capacity: s * s * planeSize + kw)
        let flat = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { planes.deallocate(); flat.deallocate() }
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
