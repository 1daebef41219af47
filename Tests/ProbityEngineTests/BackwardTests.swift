import XCTest
import ProbityCore
@testable import ProbityEngine

/// Every op's backward against central finite differences, over shapes that hit each kernel
/// path (the same configurations the forward tests use), with 1 and 2 threads.
final class BackwardTests: XCTestCase {
    /// Normal values pushed at least `gap` away from zero (so ReLU-like kinks are not crossed).
    func awayFromZero(_ t: Tensor, gap: Float = 0.05) -> Tensor {
        var t = t
        for i in 0..<t.count where abs(t.storage[i]) < gap { t.storage[i] = t.storage[i] < 0 ? -gap - 0.01 : gap + 0.01 }
        return t
    }

    func testConvolutionGradients() throws {
        var rng = RNG(seed: 21)
        let configs: [(Int, Int, Int, Int, Int, Int, Int, Int, (Int, Int), (Int, Int), (Int, Int, Int, Int))] = [
            (1, 8, 5, 6, 16, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0)),      // pointwise, channel split
            (3, 4, 5, 4, 6, 1, 1, 1, (1, 1), (1, 1), (0, 0, 0, 0)),       // pointwise, batch split
            (2, 3, 6, 5, 3, 3, 3, 3, (1, 1), (1, 1), (1, 1, 1, 1)),       // depthwise, flat kernel
            (2, 3, 9, 8, 3, 3, 5, 5, (2, 2), (1, 1), (1, 2, 2, 1)),       // depthwise, stride 2, asymmetric
            (1, 2, 7, 7, 6, 2, 3, 3, (1, 1), (2, 2), (2, 2, 2, 2)),       // grouped (multiplier 3), dilated
            (2, 3, 8, 9, 3, 3, 3, 3, (2, 1), (2, 2), (2, 1, 2, 3)),       // depthwise, dilated, unequal strides
            (1, 16, 7, 6, 4, 1, 3, 3, (2, 2), (1, 1), (0, 0, 1, 1)),      // im2col, stride 2, channel split
            (3, 4, 6, 6, 6, 2, 3, 2, (1, 2), (2, 1), (1, 0, 2, 1)),       // groups, mixed
        ]
        for (n, c, h, w, m, group, kh, kw, strides, dilations, pads) in configs {
            let conv = Conv(strides: strides, dilations: dilations, pads: pads, group: group)
            let x = rng.normalTensor(shape: [n, c, h, w])
            let wt = rng.normalTensor(shape: [m, c / group, kh, kw], std: 0.5)
            let b = rng.normalTensor(shape: [m])
            for threads in [1, 2] {
                try GradientCheck.check(conv, [x, wt, b], step: 0.25, threads: threads, "Conv \(n)×\(c)×\(h)×\(w) → \(m) g\(group) k\(kh)×\(kw) s\(strides) d\(dilations) p\(pads), \(threads) threads")
            }
        }
        // A smooth fused activation (ReLU-like ones are checked against the unfused graph).
        var fused = Conv(pads: (1, 1, 1, 1))
        fused.activation = .tanh
        try GradientCheck.check(fused, [rng.normalTensor(shape: [2, 3, 5, 5], std: 0.3), rng.normalTensor(shape: [4, 3, 3, 3], std: 0.3)],
                                step: 1e-2, tolerance: 5e-3, "Conv + tanh")
    }

    func testActivationGradients() throws {
        var rng = RNG(seed: 22)
        let kinds: [Activation.Kind] = [.relu, .leakyRelu(alpha: 0.1), .clip(min: -0.5, max: 0.7), .sigmoid, .tanh,
                                        .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish, .identity]
        for kind in kinds {
            var x = awayFromZero(rng.normalTensor(shape: [2, 3, 4, 5], std: 2))
            // Keep away from every kink: clip bounds, hard-sigmoid corners (±2.5), hard-swish (±3).
            for i in 0..<x.count {
                for k: Float in [-0.5, 0.7, -2.5, 2.5, -3, 3] where abs(x.storage[i] - k) < 0.03 { x.storage[i] = k + 0.05 }
            }
            try GradientCheck.check(Activation(kind), [x], step: 1e-3, tolerance: 5e-3, "\(kind)")
        }
    }

    func testBinaryGradients() throws {
        var rng = RNG(seed: 23)
        let shapes: [([Int], [Int])] = [([2, 3, 4], [2, 3, 4]), ([2, 3, 4, 2], [1, 3, 1, 1]), ([3, 1, 1], [2, 3, 4, 5]), ([2, 1, 3], [4, 1]), ([2, 3], [1])]
        for kind in [Binary.Kind.add, .sub, .mul, .div] {
            for (sa, sb) in shapes {
                let a = rng.normalTensor(shape: sa)
                var b = rng.normalTensor(shape: sb)
                if kind == .div { b = Tensor(shape: sb, storage: b.storage.map { $0 < 0 ? $0 - 1 : $0 + 1 }) }
                try GradientCheck.check(Binary(kind), [a, b], step: kind == .div ? 1e-3 : 0.25, tolerance: 3e-3, "\(kind) \(sa) \(sb)")
            }
        }
    }

    func testGemmAndMatMulGradients() throws {
        var rng = RNG(seed: 24)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            var gemm = Gemm(alpha: 0.7, beta: 1.3, transA: ta, transB: tb)
            let a = rng.normalTensor(shape: ta ? [5, 3] : [3, 5]), b = rng.normalTensor(shape: tb ? [4, 5] : [5, 4])
            try GradientCheck.check(gemm, [a, b, rng.normalTensor(shape: [4])], step: 0.25, "Gemm transA \(ta) transB \(tb)")
            try GradientCheck.check(gemm, [a, b, rng.normalTensor(shape: [3, 1])], step: 0.25, "Gemm C [3, 1]")
            gemm.activation = .sigmoid
            try GradientCheck.check(gemm, [a, b], step: 1e-2, tolerance: 5e-3, "Gemm + sigmoid")
        }
        try GradientCheck.check(MatMul(), [rng.normalTensor(shape: [2, 3, 4]), rng.normalTensor(shape: [4, 5])], step: 0.25, "MatMul batched × matrix")
        try GradientCheck.check(MatMul(), [rng.normalTensor(shape: [2, 1, 3, 4]), rng.normalTensor(shape: [3, 4, 2])], step: 0.25, "MatMul broadcast batches")
        try GradientCheck.check(MatMul(), [rng.normalTensor(shape: [4]), rng.normalTensor(shape: [2, 4, 3])], step: 0.25, "MatMul vector × batch")
    }

    func testPoolingGradients() throws {
        var rng = RNG(seed: 25)
        let normal = rng.normalTensor(shape: [2, 3, 7, 8])
        // The same ranks with values 0.02 apart: no step of the finite difference crosses a tie between
        // two window elements, which overlapping stride-1 windows would otherwise meet by chance.
        var x = Tensor(shape: normal.shape)
        for (rank, i) in normal.storage.indices.sorted(by: { normal.storage[$0] < normal.storage[$1] }).enumerated() {
            x.storage[i] = Float(rank) * 0.02 - 3
        }
        let pools: [(Pool, String)] = [
            (Pool(kind: .max, kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1)), "max 3×3 s2 p1"),
            (Pool(kind: .max, kernel: (2, 2), strides: (2, 2)), "max 2×2 s2"),
            (Pool(kind: .max, kernel: (2, 2), strides: (1, 1), pads: (1, 0, 0, 1)), "max 2×2 s1 padded"),
            (Pool(kind: .max, kernel: (2, 3), strides: (2, 1), dilations: (2, 1), pads: (0, 1, 1, 0), ceilMode: true), "max dilated ceil"),
            (Pool(kind: .average(countIncludePad: false), kernel: (3, 3), strides: (2, 2), pads: (1, 1, 1, 1), ceilMode: true), "avg exclude pad"),
            (Pool(kind: .average(countIncludePad: true), kernel: (3, 2), strides: (1, 2), pads: (1, 0, 1, 1)), "avg include pad"),
        ]
        for (pool, label) in pools {
            for threads in [1, 2] { try GradientCheck.check(pool, [x], step: 1e-3, threads: threads, label) }
        }
        try GradientCheck.check(GlobalPool(max: false), [x], step: 0.25, "GlobalAveragePool")
        try GradientCheck.check(GlobalPool(max: true), [x], step: 1e-3, "GlobalMaxPool")
        try GradientCheck.check(Reduce(.mean, axes: [2, 3], keepDims: true), [x], step: 0.25, "ReduceMean spatial")
        try GradientCheck.check(Reduce(.mean, axes: [1], keepDims: false), [x], step: 0.25, "ReduceMean channels")
        try GradientCheck.check(Reduce(.mean, axes: [], keepDims: false), [x], step: 0.25, "ReduceMean all")
    }

    func testStructuralGradients() throws {
        var rng = RNG(seed: 26)
        let x = rng.normalTensor(shape: [2, 3, 4, 5])
        let ops: [(any Operator, String)] = [
            (Rearrange(.transpose(perm: [0, 2, 3, 1])), "Transpose"),
            (Rearrange(.slice(starts: [3, 1], ends: [0, 5], axes: [2, 3], steps: [-1, 2])), "Slice with negative step"),
            (Rearrange(.pad(pads: [0, 0, 1, 2, 0, 1, 2, 1], mode: .constant, value: 0.5)), "Pad constant"),
            (Rearrange(.pad(pads: [0, 0, 2, 1, 0, 0, 1, 3], mode: .reflect, value: 0)), "Pad reflect"),
            (Rearrange(.pad(pads: [0, 1, 1, 0, 0, 0, 2, 2], mode: .edge, value: 0)), "Pad edge"),
            (Rearrange(.gather(axis: 1, indices: [2, 0, 2, -1], indicesShape: [2, 2])), "Gather with repeats"),
            (Rearrange(.expand(shape: [3, 2, 3, 4, 5])), "Expand"),
            (Reshape(to: [6, 20]), "Reshape"),
            (Softmax(axis: 1), "Softmax axis 1"),
            (Softmax(axis: 2, coerced2D: true), "Softmax opset 11"),
        ]
        for (op, label) in ops {
            let smooth = op is Softmax
            try GradientCheck.check(op, [x], step: smooth ? 1e-2 : 0.25, tolerance: smooth ? 5e-3 : 2e-3, label)
        }
        try GradientCheck.check(Concat(axis: 1), [x, rng.normalTensor(shape: [2, 1, 4, 5]), rng.normalTensor(shape: [2, 2, 4, 5])], step: 0.25, "Concat")
        var variance = rng.uniformTensor(shape: [3], 0.5, 2)
        variance.storage[0] = 1.5
        try GradientCheck.check(BatchNorm(epsilon: 1e-3), [x, rng.normalTensor(shape: [3]), rng.normalTensor(shape: [3]), rng.normalTensor(shape: [3]), variance],
                                step: 1e-2, tolerance: 5e-3, "BatchNormalization, all inputs")
    }
}
