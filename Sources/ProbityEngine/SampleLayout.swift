import ProbityCore

/// Where the samples of a batch sit in a MatMul's first operand, so its products can run as a
/// few large `sgemm` calls whose shapes do not depend on the batch.
///
/// OpenBLAS may round a row differently by its position in a call and by the call's row count
/// (measured here on 0.3.21: the same row gives different bits at different positions of one
/// call), so a product over rows that mix samples would give a sample different logits alone
/// and in a batch. A call that holds one sample's rows only, at the same positions whatever the
/// batch, rounds them the same way: then batching is free. The planner finds the layout by
/// importing the graph at two batch sizes and comparing shapes (`annotate`); without one,
/// MatMul falls back to one call per row.
public enum SampleLayout: Sendable, Equatable {
    /// The samples are on A's leading (matrix) axes, each matrix holds rows of one sample:
    /// attention's [batch × heads, tokens, dim] products, and linear layers on [batch, tokens, dim].
    case matrices
    /// Axis `p` of A (a row axis) holds one sample per index, and B is a shared 2-D matrix:
    /// linear layers on [tokens, batch, dim], as PyTorch's multi-head attention runs them.
    case axis(Int)

    /// Sets the layout of every MatMul of `graph` (imported at `batch`) from the shapes of the
    /// same graph imported at `batch + 1`: the axes whose extent changes are the batch's. Leaves
    /// a MatMul without a layout when its columns or inner extent depend on the batch, when the
    /// samples are merged into rows (a [tokens × batch, dim] matrix: whether rows are grouped by
    /// token or by sample cannot be told from shapes), or when the probe does not line up.
    static func annotate(_ graph: inout Graph, batch: Int, probe: () throws -> Graph) {
        guard graph.nodes.contains(where: { $0.op is MatMul }), let other = try? probe(), other.nodes.count == graph.nodes.count else { return }
        for (i, node) in graph.nodes.enumerated() where node.op is MatMul {
            let twin = other.nodes[i]
            guard twin.op is MatMul, node.inputs.count == 2, twin.inputs.count == 2 else { continue }
            let a = graph.values[node.inputs[0]].shape, a2 = other.values[twin.inputs[0]].shape
            let b = graph.values[node.inputs[1]].shape, b2 = other.values[twin.inputs[1]].shape
            guard a.count == a2.count, b.count == b2.count, a.count >= 2, b.count >= 2 else { continue }
            let aGrows = a.indices.filter { a[$0] != a2[$0] }, bGrows = b.indices.filter { b[$0] != b2[$0] }
            guard !aGrows.contains(a.count - 1), !bGrows.contains(b.count - 1), !bGrows.contains(b.count - 2) else { continue }
            var op = node.op as! MatMul
            if !aGrows.contains(a.count - 2) && (a.count >= 3 || aGrows.isEmpty) {
                op.samples = .matrices
            } else if bGrows.isEmpty, b.count == 2, aGrows.count == 1, let p = aGrows.first, a[p] == batch, a2[p] == batch + 1 {
                op.samples = .axis(p)
            } else {
                continue
            }
            graph.nodes[i].op = op
        }
    }
}

extension MatMul {
    /// Columns per call: products are split into fixed column blocks (the same whatever the
    /// batch) so one sample's work can run on several threads.
    static let columnBlock = 256

    /// C (+)= A·op(B) for each matrix pair, in calls laid out by `layout`: one per matrix
    /// (`.matrices`) or per sample (`.axis`), times column blocks, in parallel. `shape` is A's
    /// (promoted) shape; `m`, `k`, `n` the extents of one product (op(B) is k × n, stored n × k
    /// when `transB`); `mapA`, `mapB` the matrix of each operand per product.
    static func products(_ layout: SampleLayout, shape: [Int], m: Int, k: Int, n: Int, mapA: [Int], mapB: [Int], transB: Bool,
                         a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>,
                         _ context: ExecutionContext) {
        guard m > 0, n > 0 else { return }
        // Row tasks: (offset of A's first row, offset of C's first row, rows, row stride, matrix of B).
        var tasks: [(a: Int, c: Int, rows: Int, stride: Int, bMatrix: Int)] = []
        switch layout {
        case .matrices:
            for i in mapA.indices { tasks.append((mapA[i] * m * k, i * m * n, m, 1, mapB[i])) }
        case .axis(let p):
            let samples = shape[p]
            let outer = shape[..<p].reduce(1, *), inner = shape[(p + 1)..<(shape.count - 1)].reduce(1, *)
            for s in 0..<samples {
                if inner == 1 {
                    tasks.append((s * k, s * n, outer, samples, 0))
                } else {
                    for o in 0..<outer { let row = (o * samples + s) * inner; tasks.append((row * k, row * n, inner, 1, 0)) }
                }
            }
        }
        let blocks = (n + columnBlock - 1) / columnBlock
        let ldb = transB ? k : n
        context.parallel(tasks.count * blocks) { index, _ in
            let (t, j) = index.quotientAndRemainder(dividingBy: blocks)
            let task = tasks[t], first = j * columnBlock, width = Swift.min(columnBlock, n - first)
            let bMatrix = b + task.bMatrix * k * n
            BLAS.sgemm(transB: transB, m: task.rows, n: width, k: k,
                       a: a + task.a, lda: task.stride * k,
                       b: transB ? bMatrix + first * k : bMatrix + first, ldb: ldb,
                       beta: beta, c: c + task.c + first, ldc: task.stride * n)
        }
    }
}
