import XCTest
import ProbityCore
@testable import ProbityEngine

/// Conv and pooling kernels against direct Double loops written from the ONNX definitions,
/// over shapes that hit every kernel path (pointwise, depthwise, im2col; batch- and
/// channel-split parallelism; strides, dilations, asymmetric pads).
final class ConvTests: XCTestCase {
    func run(_ op: any Operator, _ inputs: [Tensor], threads: Int = 2) throws -> Tensor {
        var g = Graph()
        let x = g.addValue(name: "x", shape: inputs[0].shape)
        g.inputs = [x]
        let rest = inputs.dropFirst().enumerated().map { g.addValue(name: "c\($0.offset)", shape: $0.element.shape, constant: $0.element) }
        let y = try g.addNode(name: "op", op: op, inputs: [x] + rest, outputName: "y")
        g.outputs = [y]
        return try Plan(g, context: ExecutionContext(threads: threads)).run([inputs[0]])[0]
    }

    static func naiveConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ c: Conv, out: [Int]) -> Tensor {
        var y = Tensor(shape: out)
        let (n, ci, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let mg = m / c.group
        for s in 0..<n { for o in 0..<m { for oy in 0..<out[2] { for ox in 0..<out[3] {
            var acc = Double(b?.storage[o] ?? 0)
            let g = o / mg
            for k in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * c.strides.0 + ky * c.dilations.0 - c.pads.0
                let ix = ox * c.strides.1 + kx * c.dilations.1 - c.pads.1
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += Double(x[s, g * cg + k, iy, ix]) * Double(w[o, k, ky, kx])
            } } }
            y[s, o, oy, ox] = Float(acc)
        } } } }
        _ = ci
        return y
    }

    func testConvMatchesDirectLoops() throws {
        var rng = RNG(seed: 11)
        // (n, c, h, w, m, group, kh, kw, strides, dilations, pads)
        let configs: [(Int, Int, Int, Int, Int, Int, Int, Int, (Int, Int), (Int, Int), (Int, Int, Int, Int))] = [
            (1, 8, 7, 9, 16, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0)),      // pointwise, channel split
            (3, 8, 7, 9, 16, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0)),      // pointwise, batch split
            (2, 8, 6, 6, 16, 2, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0)),      // grouped 1×1: per sample and group
            (2, 6, 11, 10, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1, 1, 1)),     // depthwise
            (2, 6, 11, 10, 6, 6, 5, 5, (2, 2), (1, 1), (1, 2, 2, 1)),     // depthwise, stride 2, asymmetric
            (2, 3, 9, 37, 3, 3, 3, 3, (2, 2), (1, 1), (1, 1, 1, 1)),      // stride 2, rows ≥ 16: vector phase split, odd pad
            (1, 3, 8, 34, 3, 3, 5, 5, (2, 2), (1, 1), (2, 2, 2, 2)),      // the same, even pad
            (1, 3, 7, 33, 3, 3, 3, 3, (2, 2), (1, 1), (0, 0, 1, 1)),      // the same, no left pad
            (1, 4, 9, 9, 12, 4, 3, 3, (1, 1), (2, 2), (2, 2, 2, 2)),      // depthwise multiplier 3, dilated
            (2, 6, 10, 11, 6, 6, 3, 3, (2, 1), (2, 2), (2, 1, 2, 3)),     // depthwise, dilated: the row kernel
            (1, 3, 13, 12, 8, 1, 3, 3, (2, 2), (1, 1), (0, 0, 1, 1)),     // im2col, stride 2
            (4, 6, 8, 8, 10, 2, 3, 2, (1, 2), (2, 1), (1, 0, 2, 1)),      // groups, mixed
            (1, 64, 6, 6, 64, 1, 1, 1, (2, 2), (1, 1), (0, 0, 0, 0)),     // 1×1 with stride: im2col path
        ]
        for (n, c, h, w, m, group, kh, kw, strides, dilations, pads) in configs {
            var conv = Conv(strides: strides, dilations: dilations, pads: pads, group: group)
            let x = rng.normalTensor(shape: [n, c, h, w])
            let wt = rng.normalTensor(shape: [m, c / group, kh, kw])
            let b = rng.normalTensor(shape: [m])
            let shape = try conv.outputShape([x.shape, wt.shape, b.shape])
            let want = ConvTests.naiveConv(x, wt, b, conv, out: shape)
            for threads in [1, 2] {
                XCTAssertLessThan(try run(conv, [x, wt, b], threads: threads).maxAbsDifference(want), 1e-4, "n\(n) c\(c) \(h)x\(w) m\(m) g\(group) k\(kh)x\(kw) threads \(threads)")
            }
            conv.activation = .clip(min: 0, max: 6)
            XCTAssertLessThan(try run(conv, [x, wt, b]).maxAbsDifference(want.map { min(max($0, 0), 6) }), 1e-4, "fused ReLU6")
        }
    }

    func testPoolingMatchesDirectLoops() throws {
        var rng = RNG(seed: 2)
        let x = rng.normalTensor(shape: [2, 3, 9, 8])
        // Max, 3×3 stride 2, pad 1, ceil: windows by hand.
        let maxPool = Pool(kind: .max, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), ceilMode: true)
        let y = try run(maxPool, [x])
        XCTAssertEqual(y.shape, [2, 3, 5, 5])   // ceil((8 + 2 − 3)/2) + 1 = 5; the last window starts at column 7, inside
        for s in 0..<2 { for c in 0..<3 { for oy in 0..<5 { for ox in 0..<5 {
            var best = -Float.infinity
            for iy in (oy * 2 - 1)...(oy * 2 + 1) where iy >= 0 && iy < 9 { for ix in (ox * 2 - 1)...(ox * 2 + 1) where ix >= 0 && ix < 8 { best = max(best, x[s, c, iy, ix]) } }
            XCTAssertEqual(y[s, c, oy, ox], best)
        } } } }
        // Max 2×2 (the unrolled path inside the input, the general one at padded and ceil edges):
        // stride 2 plain, stride 2 padded with ceil, stride 1 padded.
        for (strides, pads, ceil) in [((2, 2), (0, 0, 0, 0), false), ((2, 2), (1, 0, 0, 1), true), ((1, 1), (1, 1, 1, 1), false)] {
            let pool = Pool(kind: .max, kernel: (2, 2), strides: strides, pads: pads, ceilMode: ceil)
            let y = try run(pool, [x])
            for s in 0..<2 { for c in 0..<3 { for oy in 0..<y.shape[2] { for ox in 0..<y.shape[3] {
                let y0 = oy * strides.0 - pads.0, x0 = ox * strides.1 - pads.1
                var best = -Float.infinity
                for iy in y0...(y0 + 1) where iy >= 0 && iy < 9 { for ix in x0...(x0 + 1) where ix >= 0 && ix < 8 { best = max(best, x[s, c, iy, ix]) } }
                XCTAssertEqual(y[s, c, oy, ox], best, "2×2 stride \(strides.0) pads \(pads) at \(s), \(c), \(oy), \(ox)")
            } } } }
        }
        // Average 2×2 stride 2 without padding = mean of each block.
        let avg = try run(Pool(kind: .average(countIncludePad: false), kernel: (2, 2), strides: (2, 2)), [x])
        XCTAssertEqual(avg[1, 2, 3, 1], (x[1, 2, 6, 2] + x[1, 2, 6, 3] + x[1, 2, 7, 2] + x[1, 2, 7, 3]) / 4, accuracy: 1e-6)
    }

    /// Planner rewrites (Pad → Conv padding, BatchNorm folding, activation fusion) do not change results.
    func testPlannerRewritesPreserveResults() throws {
        var rng = RNG(seed: 4)
        var g = Graph()
        let x = g.addValue(name: "x", shape: [2, 3, 10, 10])
        g.inputs = [x]
        let pad = try g.addNode(name: "pad", op: Rearrange(.pad(pads: [0, 0, 1, 0, 0, 0, 2, 1], mode: .constant, value: 0)), inputs: [x], outputName: "p")
        let w = g.addValue(name: "w", shape: [5, 3, 3, 3], constant: rng.normalTensor(shape: [5, 3, 3, 3]))
        let conv = try g.addNode(name: "conv", op: Conv(strides: (2, 2)), inputs: [pad, w], outputName: "c")
        let bn = (0..<4).map { k in g.addValue(name: "bn\(k)", shape: [5], constant: k == 3 ? rng.uniformTensor(shape: [5], 0.5, 2) : rng.normalTensor(shape: [5])) }
        let norm = try g.addNode(name: "bn", op: BatchNorm(epsilon: 1e-3), inputs: [conv] + bn, outputName: "n")
        let act = try g.addNode(name: "relu", op: Activation(.relu), inputs: [norm], outputName: "r")
        let gp = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [act], outputName: "g")
        g.outputs = [gp]
        let optimized = Planner.optimize(g)
        XCTAssertEqual(optimized.nodes.map(\.op.type), ["Conv", "GlobalAveragePool"], "pad, batchnorm and relu fused into the conv")
        let input = rng.normalTensor(shape: [2, 3, 10, 10])
        let a = try Plan(g).run([input])[0], b = try Plan(optimized).run([input])[0]
        XCTAssertLessThan(a.maxAbsDifference(b), 1e-5)
    }
}

extension ConvTests {
    /// Depthwise on the small planes of late stages (7×7, 14×14, 9×9) against direct loops.
    func testSmallPlaneDepthwiseMatchesDirectLoops() throws {
        var rng = RNG(seed: 21)
        for (n, c, hw, k, s, pads) in [(1, 24, 7, 5, 1, (2, 2, 2, 2)), (3, 20, 14, 3, 2, (0, 0, 1, 1)), (2, 17, 9, 3, 1, (1, 1, 1, 1))] {
            var conv = Conv(strides: (s, s), pads: pads, group: c)
            let x = rng.normalTensor(shape: [n, c, hw, hw]), w = rng.normalTensor(shape: [c, 1, k, k]), b = rng.normalTensor(shape: [c])
            let shape = try conv.outputShape([x.shape, w.shape, b.shape])
            let want = ConvTests.naiveConv(x, w, b, conv, out: shape)
            for threads in [1, 2] { XCTAssertLessThan(try run(conv, [x, w, b], threads: threads).maxAbsDifference(want), 1e-4, "c\(c) \(hw)² k\(k) s\(s) threads \(threads)") }
            conv.activation = .relu
            XCTAssertLessThan(try run(conv, [x, w, b]).maxAbsDifference(want.map { max($0, 0) }), 1e-4)
        }
    }
}

extension ConvTests {
    /// 2 × 2 max pooling at stride 2 across, eight windows at a time inside wide rows, against
    /// direct loops bit for bit: forward maxima (`Swift.max` from −∞, in window order) and the
    /// backward's first strict maximum, on values with many ties, signed zeros and NaNs. Widths
    /// 41 (rows mixing the vector path with scalar edges, a ceil-mode partial window) and 32 (a
    /// block of eight ending on the last column); also stride 1 down (windows sharing rows,
    /// gradients added twice) and padded edges.
    func testMaxPoolEightWindowsAtOnceMatchesDirectLoopsBitForBit() throws {
        var rng = RNG(seed: 31)
        let values: [Float] = [-1, -0.0, 0, 0.5, 1, 1]
        for width in [41, 32] {
            var x = Tensor(shape: [2, 3, 7, width])
            for i in x.storage.indices { x.storage[i] = rng.uniform() < 0.03 ? .nan : values[Int(rng.uniform() * Float(values.count)) % values.count] }
            for (strides, pads, ceil) in [((2, 2), (0, 0, 0, 0), false), ((2, 2), (0, 0, 0, 0), true), ((2, 2), (1, 1, 0, 1), true), ((1, 2), (0, 0, 1, 0), false)] {
                let pool = Pool(kind: .max, kernel: (2, 2), strides: strides, pads: pads, ceilMode: ceil)
                let shape = try pool.outputShape([x.shape])
                XCTAssertGreaterThanOrEqual(shape[3], 16, "rows wide enough for the eight-window path")
                let dy = rng.normalTensor(shape: shape)
                var wantY = Tensor(shape: shape), wantDx = Tensor(shape: x.shape)
                for s in 0..<2 { for c in 0..<3 { for oy in 0..<shape[2] { for ox in 0..<shape[3] {
                    let y0 = oy * strides.0 - pads.0, x0 = ox * strides.1 - pads.1
                    var best = -Float.infinity, at: (Int, Int)? = nil
                    for iy in y0...(y0 + 1) where iy >= 0 && iy < 7 { for ix in x0...(x0 + 1) where ix >= 0 && ix < width {
                        best = max(best, x[s, c, iy, ix])
                        if let (ay, ax) = at { if x[s, c, iy, ix] > x[s, c, ay, ax] { at = (iy, ix) } } else { at = (iy, ix) }
                    } }
                    wantY[s, c, oy, ox] = best
                    if let (ay, ax) = at { wantDx[s, c, ay, ax] += dy[s, c, oy, ox] }
                } } } }
                for threads in [1, 2] {
                    let label = "width \(width) strides \(strides) pads \(pads) ceil \(ceil) threads \(threads)"
                    let y = try run(pool, [x], threads: threads)
                    XCTAssertEqual(y.storage.map(\.bitPattern), wantY.storage.map(\.bitPattern), "forward, \(label)")
                    let dx = GradientCheck.analytic(pool, [x], dy: dy, context: ExecutionContext(threads: threads))[0]
                    XCTAssertEqual(dx.storage.map(\.bitPattern), wantDx.storage.map(\.bitPattern), "backward, \(label)")
                }
            }
        }
    }
}
