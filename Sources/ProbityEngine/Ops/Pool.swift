/// MaxPool and AveragePool over 2-D windows of NCHW input (ONNX semantics): pads, strides,
/// dilations (max), `ceil_mode`, and `count_include_pad` (average).
public struct Pool: Operator {
    public enum Kind: Sendable, Equatable { case max, average(countIncludePad: Bool) }
    public var kind: Kind
    public var kernel: (Int, Int)
    public var strides: (Int, Int) = (1, 1)
    public var dilations: (Int, Int) = (1, 1)
    /// Top, left, bottom, right.
    public var pads: (Int, Int, Int, Int) = (0, 0, 0, 0)
    public var ceilMode = false

    public var type: String { kind == .max ? "MaxPool" : "AveragePool" }

    public init(kind: Kind, kernel: (Int, Int), strides: (Int, Int) = (1, 1), dilations: (Int, Int) = (1, 1),
                pads: (Int, Int, Int, Int) = (0, 0, 0, 0), ceilMode: Bool = false) {
        self.kind = kind; self.kernel = kernel; self.strides = strides; self.dilations = dilations; self.pads = pads; self.ceilMode = ceilMode
    }

    /// Output extent; with ceil mode the last window must start inside the input or left pad
    /// (PyTorch's and ONNX Runtime's rule).
    static func extent(_ n: Int, kernel k: Int, stride s: Int, dilation d: Int, padBegin: Int, padEnd: Int, ceil: Bool) -> Int {
        let span = n + padBegin + padEnd - (d * (k - 1) + 1)
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil && (out - 1) * s >= n + padBegin { out -= 1 }
        return out
    }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1, inputs[0].count == 4 else { throw shapeError(type, "only 2-D pooling of 4-D input is supported, got \(inputs.map { $0 })") }
        let x = inputs[0]
        let ho = Pool.extent(x[2], kernel: kernel.0, stride: strides.0, dilation: dilations.0, padBegin: pads.0, padEnd: pads.2, ceil: ceilMode)
        let wo = Pool.extent(x[3], kernel: kernel.1, stride: strides.1, dilation: dilations.1, padBegin: pads.1, padEnd: pads.3, ceil: ceilMode)
        guard ho > 0, wo > 0 else { throw shapeError(type, "window larger than padded input \(x)") }
        return [x[0], x[1], ho, wo]
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let x = inputs[0]
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (output.shape[2], output.shape[3])
        let (k0, k1) = kernel, (s0, s1) = strides, (d0, d1) = dilations, (p0, p1) = (pads.0, pads.1)
        if kind == .max {
            // Windows wholly inside the input skip the bounds tests; the maximum is taken in the
            // same order either way.
            let pair = kernel == (2, 2) && dilations == (1, 1)
            context.parallel(n * c) { item, _ in
                let src = x.pointer + item * h * w
                let dst = output.pointer + item * ho * wo
                for oy in 0..<ho {
                    let y0 = oy * s0 - p0
                    let rowsInside = y0 >= 0 && y0 + (k0 - 1) * d0 < h
                    let eightAtOnce = rowsInside && pair && s1 == 2
                    var ox = 0
                    while ox < wo {
                        let x0 = ox * s1 - p1
                        if eightAtOnce && x0 >= 0 && ox + 8 <= wo && x0 + 15 < w {
                            // The 2 × 2, stride-2 window of most CNNs, eight windows from sixteen
                            // columns of two rows: the scalar path's maxima in its order.
                            let r0 = src + y0 * w + x0
                            let a = UnsafeRawPointer(r0).loadUnaligned(as: SIMD16<Float>.self)
                            let b = UnsafeRawPointer(r0 + w).loadUnaligned(as: SIMD16<Float>.self)
                            var best = SIMD8<Float>(repeating: -.infinity)
                            best = Pool.laneMax(best, a.evenHalf); best = Pool.laneMax(best, a.oddHalf)
                            best = Pool.laneMax(best, b.evenHalf); best = Pool.laneMax(best, b.oddHalf)
                            UnsafeMutableRawPointer(dst + oy * wo + ox).storeBytes(of: best, as: SIMD8<Float>.self)
                            ox += 8
                            continue
                        }
                        defer { ox += 1 }
                        var best = -Float.infinity
                        if rowsInside && x0 >= 0 && x0 + (k1 - 1) * d1 < w {
                            if pair {
                                // The 2 × 2 window of most CNNs, unrolled in the loop's order.
                                let r0 = src + y0 * w + x0, r1 = r0 + w
                                best = Swift.max(Swift.max(Swift.max(Swift.max(best, r0[0]), r0[1]), r1[0]), r1[1])
                            } else {
                                for ky in 0..<k0 {
                                    let row = src + (y0 + ky * d0) * w + x0
                                    for kx in 0..<k1 { best = Swift.max(best, row[kx * d1]) }
                                }
                            }
                        } else {
                            for ky in 0..<k0 {
                                let iy = y0 + ky * d0
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<k1 {
                                    let ix = x0 + kx * d1
                                    if ix < 0 || ix >= w { continue }
                                    best = Swift.max(best, src[iy * w + ix])
                                }
                            }
                        }
                        dst[oy * wo + ox] = best
                    }
                }
            }
            return
        }
        guard case .average(let includePad) = kind else { return }
        context.parallel(n * c) { item, _ in
            let src = x.pointer + item * h * w
            let dst = output.pointer + item * ho * wo
            for oy in 0..<ho {
                let y0 = oy * strides.0 - pads.0
                for ox in 0..<wo {
                    let x0 = ox * strides.1 - pads.1
                    // Window clipped to input + padding (for the divisor with pad), then to input.
                    let ye = Swift.min(y0 + kernel.0, h + pads.2), xe = Swift.min(x0 + kernel.1, w + pads.3)
                    let padded = (ye - y0) * (xe - x0)
                    let ya = Swift.max(y0, 0), xa = Swift.max(x0, 0), yb = Swift.min(ye, h), xb = Swift.min(xe, w)
                    var sum: Float = 0
                    if ya < yb && xa < xb {
                        for iy in ya..<yb { for ix in xa..<xb { sum += src[iy * w + ix] } }
                    }
                    let count = includePad ? padded : Swift.max(0, yb - ya) * Swift.max(0, xb - xa)
                    dst[oy * wo + ox] = count > 0 ? sum / Float(count) : 0
                }
            }
        }
    }

    public func flops(inputs: [[Int]], output: [Int]) -> Int { 0 }

    /// `Swift.max` lane by lane (`y >= x ? y : x`: the later operand on ties, the earlier one
    /// when either is NaN), so vector and scalar paths agree bit for bit.
    @inline(__always)
    static func laneMax(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: y, where: y .>= x) }
}

/// GlobalAveragePool and GlobalMaxPool: one value per (sample, channel) over all spatial axes.
public struct GlobalPool: Operator {
    public var max: Bool
    public var type: String { max ? "GlobalMaxPool" : "GlobalAveragePool" }
    public init(max: Bool) { self.max = max }

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 1, inputs[0].count >= 3 else { throw shapeError(type, "expects [N, C, spatial…], got \(inputs)") }
        return [inputs[0][0], inputs[0][1]] + [Int](repeating: 1, count: inputs[0].count - 2)
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let x = inputs[0]
        let planes = x.shape[0] * x.shape[1]
        let size = x.count / Swift.max(planes, 1)
        for p in 0..<planes {
            let src = x.pointer + p * size
            if max {
                var m = -Float.infinity
                for i in 0..<size { m = Swift.max(m, src[i]) }
                output.pointer[p] = m
            } else {
                var s: Float = 0
                for i in 0..<size { s += src[i] }
                output.pointer[p] = s / Float(size)
            }
        }
    }
}

// MARK: - Backward

extension Pool {
    /// Max: the gradient goes to the first maximum of each window (PyTorch's choice on ties),
    /// in every mode (for LRP too: winner takes all). Average: spread over the window with
    /// the forward divisor; in LRP mode by the z-rule, in proportion to each input.
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let x = args.inputs[0]
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (args.gradOutput.shape[2], args.gradOutput.shape[3])
        let lrp = args.rule.lrp, eps = args.rule.stabilizer
        let g = args.gradOutput.pointer
        let pair = kernel == (2, 2) && dilations == (1, 1)
        context.parallel(n * c) { item, _ in
            let src = x.pointer + item * h * w
            let dst = dx.pointer + item * h * w
            let gp = g + item * ho * wo
            for oy in 0..<ho {
                let y0 = oy * strides.0 - pads.0
                let eightAtOnce = kind == .max && pair && strides.1 == 2 && y0 >= 0 && y0 + 1 < h
                var ox = 0
                while ox < wo {
                    let x0 = ox * strides.1 - pads.1
                    if eightAtOnce && x0 >= 0 && ox + 8 <= wo && x0 + 15 < w {
                        // Eight 2 × 2, stride-2 windows at once: the unrolled scalar case's first
                        // maximum (a, then b, c, d where strictly greater) gets the window's gradient.
                        let r0 = src + y0 * w + x0
                        let top = UnsafeRawPointer(r0).loadUnaligned(as: SIMD16<Float>.self)
                        let bottom = UnsafeRawPointer(r0 + w).loadUnaligned(as: SIMD16<Float>.self)
                        let (a, b, c, d) = (top.evenHalf, top.oddHalf, bottom.evenHalf, bottom.oddHalf)
                        let bBeats = b .> a
                        let best = a.replacing(with: b, where: bBeats)
                        let cBeats = c .> best
                        let dBeats = d .> best.replacing(with: c, where: cBeats)
                        let toD = dBeats, toC = cBeats .& .!dBeats, toB = bBeats .& .!cBeats .& .!dBeats
                        let toA = .!(bBeats .| cBeats .| dBeats)
                        let gv = UnsafeRawPointer(gp + oy * wo + ox).loadUnaligned(as: SIMD8<Float>.self)
                        let d0 = dst + y0 * w + x0
                        var g0 = UnsafeRawPointer(d0).loadUnaligned(as: SIMD16<Float>.self)
                        var g1 = UnsafeRawPointer(d0 + w).loadUnaligned(as: SIMD16<Float>.self)
                        g0.evenHalf = g0.evenHalf.replacing(with: g0.evenHalf + gv, where: toA)
                        g0.oddHalf = g0.oddHalf.replacing(with: g0.oddHalf + gv, where: toB)
                        g1.evenHalf = g1.evenHalf.replacing(with: g1.evenHalf + gv, where: toC)
                        g1.oddHalf = g1.oddHalf.replacing(with: g1.oddHalf + gv, where: toD)
                        UnsafeMutableRawPointer(d0).storeBytes(of: g0, as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(d0 + w).storeBytes(of: g1, as: SIMD16<Float>.self)
                        ox += 8
                        continue
                    }
                    defer { ox += 1 }
                    let gv = gp[oy * wo + ox]
                    switch kind {
                    case .max where pair && y0 >= 0 && y0 + 1 < h && x0 >= 0 && x0 + 1 < w:
                        // 2 × 2 inside the input: the general case's first maximum, unrolled.
                        let at0 = y0 * w + x0
                        var at = at0, best = src[at0]
                        if src[at0 + 1] > best { best = src[at0 + 1]; at = at0 + 1 }
                        if src[at0 + w] > best { best = src[at0 + w]; at = at0 + w }
                        if src[at0 + w + 1] > best { at = at0 + w + 1 }
                        dst[at] += gv
                    case .max:
                        var best = -Float.infinity, at = -1
                        for ky in 0..<kernel.0 {
                            let iy = y0 + ky * dilations.0
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kernel.1 {
                                let ix = x0 + kx * dilations.1
                                if ix < 0 || ix >= w { continue }
                                let v = src[iy * w + ix]
                                if v > best || at < 0 { best = v; at = iy * w + ix }
                            }
                        }
                        if at >= 0 { dst[at] += gv }
                    case .average(let includePad):
                        let ye = Swift.min(y0 + kernel.0, h + pads.2), xe = Swift.min(x0 + kernel.1, w + pads.3)
                        let padded = (ye - y0) * (xe - x0)
                        let ya = Swift.max(y0, 0), xa = Swift.max(x0, 0), yb = Swift.min(ye, h), xb = Swift.min(xe, w)
                        guard ya < yb && xa < xb else { continue }
                        if lrp {
                            var sum: Float = 0
                            for iy in ya..<yb { for ix in xa..<xb { sum += src[iy * w + ix] } }
                            let s = gv / (sum + (sum >= 0 ? eps : -eps))
                            for iy in ya..<yb { for ix in xa..<xb { dst[iy * w + ix] += src[iy * w + ix] * s } }
                        } else {
                            let count = includePad ? padded : (yb - ya) * (xb - xa)
                            let share = gv / Float(count)
                            for iy in ya..<yb { for ix in xa..<xb { dst[iy * w + ix] += share } }
                        }
                    }
                }
            }
        }
    }
}

extension GlobalPool {
    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        guard let dx = args.gradInputs[0] else { return }
        let x = args.inputs[0]
        let planes = x.shape[0] * x.shape[1]
        let size = x.count / Swift.max(planes, 1)
        let lrp = args.rule.lrp, eps = args.rule.stabilizer
        context.parallel(planes) { p, _ in
            let src = x.pointer + p * size, dst = dx.pointer + p * size
            let gv = args.gradOutput.pointer[p]
            if max {
                var at = 0
                for i in 1..<Swift.max(size, 1) where src[i] > src[at] { at = i }
                dst[at] += gv
            } else if lrp {
                var sum: Float = 0
                for i in 0..<size { sum += src[i] }
                let s = gv / (sum + (sum >= 0 ? eps : -eps))
                for i in 0..<size { dst[i] += src[i] * s }
            } else {
                let share = gv / Float(size)
                for i in 0..<size { dst[i] += share }
            }
        }
    }
}
