import Foundation

/// A weighted least-squares regression tree (CART, Breiman et al. 1984) as MATLAB's `fitrtree`
/// grows it with its defaults, for LIME's `surrogate=tree` (MATLAB `imageLIME`'s default simple
/// model), and its predictor importance as MATLAB's `predictorImportance`.
///
/// Growing: observation weights are normalized to sum 1; a node's risk is Σ wᵢ(yᵢ − ȳ)² over its
/// observations (its weight share times its weighted mean squared error). Every node is split at
/// the threshold, among all predictors, that lowers the risk most: midway between consecutive
/// distinct values of the predictor in the node (`x < threshold` goes left). A node is not
/// split when it has fewer than `minParent` observations (`MinParentSize`, 10), when its
/// weighted MSE is at most `tolerance` (`QuadraticErrorTolerance`, 1e-6) times the weighted MSE
/// of all the data (or is rounding error: at most ε times the mean squared response), or when no
/// split lowers the risk. Leaves have at least one observation
/// (`MinLeafSize` 1) and the number of splits is not limited (`MaxNumSplits` n − 1).
///
/// Importance of predictor j: the sum of the risk decreases of the splits on j, divided by the
/// number of branch nodes (`predictorImportance` without surrogate splits). scikit-learn's
/// `DecisionTreeRegressor` grows the same tree (with `min_samples_split = 10`) and its unnormalized
/// `compute_feature_importances(normalize=False)` is this importance times the number of branch nodes.
///
/// Differences from the references: when two predictors lower the risk by exactly the same amount
/// the lower index wins (scikit-learn draws among them at random; MATLAB's rule is not
/// documented); with binary LIME features such ties occur only between columns that coincide
/// within a node.
public struct RegressionTree: Sendable {
    /// A node: a leaf when `feature` is nil.
    public struct Node: Sendable {
        public var feature: Int?
        public var threshold: Double
        public var left: Int, right: Int
        public var value: Double
        public var risk: Double
        public var count: Int
    }
    public private(set) var nodes: [Node] = []
    public let features: Int

    /// Grows the tree on rows `x` (n × p), responses `y` and observation weights `weights`.
    public init(x: [[Double]], y: [Double], weights: [Double]? = nil, minParent: Int = 10, tolerance: Double = 1e-6) {
        let n = y.count
        features = x.first?.count ?? 0
        let raw = weights ?? [Double](repeating: 1, count: n)
        let total = raw.reduce(0, +)
        let w = raw.map { total > 0 ? $0 / total : 1 / Double(max(1, n)) }
        let all = (0..<n).filter { w[$0] > 0 }
        func moments(_ rows: [Int]) -> (weight: Double, mean: Double, risk: Double) {
            var sw = 0.0, swy = 0.0
            for i in rows { sw += w[i]; swy += w[i] * y[i] }
            let mean = sw > 0 ? swy / sw : 0
            var risk = 0.0
            for i in rows { let d = y[i] - mean; risk += w[i] * d * d }
            return (sw, mean, risk)
        }
        let root = moments(all)
        let rootMSE = root.weight > 0 ? root.risk / root.weight : 0
        // A node whose MSE is rounding error of the responses' size is pure (scikit-learn's
        // impurity ≤ ε), so a constant response grows no branch whatever the tolerance.
        let pure = Double.ulpOfOne * all.reduce(0) { $0 + w[$1] * y[$1] * y[$1] } / max(root.weight, 1e-300)
        nodes.append(Node(feature: nil, threshold: 0, left: -1, right: -1, value: root.mean, risk: root.risk, count: all.count))
        var pending: [(node: Int, rows: [Int])] = [(0, all)]
        while let (index, rows) = pending.popLast() {
            let node = nodes[index]
            let weight = rows.reduce(0) { $0 + w[$1] }
            guard rows.count >= minParent, weight > 0, node.risk / weight > max(tolerance * rootMSE, pure),
                  let split = RegressionTree.bestSplit(rows, x: x, y: y, w: w, features: features, parentRisk: node.risk) else { continue }
            let left = rows.filter { x[$0][split.feature] < split.threshold }
            let right = rows.filter { x[$0][split.feature] >= split.threshold }
            let (l, r) = (moments(left), moments(right))
            nodes[index].feature = split.feature
            nodes[index].threshold = split.threshold
            nodes[index].left = nodes.count
            nodes.append(Node(feature: nil, threshold: 0, left: -1, right: -1, value: l.mean, risk: l.risk, count: left.count))
            nodes[index].right = nodes.count
            nodes.append(Node(feature: nil, threshold: 0, left: -1, right: -1, value: r.mean, risk: r.risk, count: right.count))
            pending.append((nodes[index].right, right))
            pending.append((nodes[index].left, left))
        }
    }

    /// The split of `rows` that lowers the risk most (sums of wy and wy² swept over the sorted
    /// values of each predictor), or nil when none lowers it.
    static func bestSplit(_ rows: [Int], x: [[Double]], y: [Double], w: [Double], features: Int, parentRisk: Double) -> (feature: Int, threshold: Double)? {
        var totalW = 0.0, totalWY = 0.0, totalWY2 = 0.0
        for i in rows { totalW += w[i]; totalWY += w[i] * y[i]; totalWY2 += w[i] * y[i] * y[i] }
        var best: (feature: Int, threshold: Double, decrease: Double)?
        for j in 0..<features {
            let sorted = rows.sorted { x[$0][j] != x[$1][j] ? x[$0][j] < x[$1][j] : $0 < $1 }
            var lw = 0.0, lwy = 0.0, lwy2 = 0.0
            for k in 0..<(sorted.count - 1) {
                let i = sorted[k]
                lw += w[i]; lwy += w[i] * y[i]; lwy2 += w[i] * y[i] * y[i]
                let (a, b) = (x[i][j], x[sorted[k + 1]][j])
                guard a < b else { continue }
                let rw = totalW - lw, rwy = totalWY - lwy, rwy2 = totalWY2 - lwy2
                guard lw > 0, rw > 0 else { continue }
                // Risk of a child: Σw y² − (Σw y)²/Σw.
                let childRisk = (lwy2 - lwy * lwy / lw) + (rwy2 - rwy * rwy / rw)
                let decrease = parentRisk - childRisk
                if decrease > (best?.decrease ?? 1e-15 * max(parentRisk, 1e-300)) { best = (j, a + (b - a) / 2, decrease) }
            }
        }
        return best.map { ($0.feature, $0.threshold) }
    }

    /// The number of branch (non-leaf) nodes.
    public var branches: Int { nodes.filter { $0.feature != nil }.count }

    /// MATLAB's `predictorImportance`: per predictor, the risk decrease of its splits summed and
    /// divided by the number of branch nodes (all zeros for a tree that is a single leaf).
    public var importance: [Double] {
        var out = [Double](repeating: 0, count: features)
        for node in nodes {
            guard let f = node.feature else { continue }
            out[f] += node.risk - nodes[node.left].risk - nodes[node.right].risk
        }
        let b = Double(branches)
        return b > 0 ? out.map { $0 / b } : out
    }

    /// The tree's prediction for one row: the weighted mean response of its leaf.
    public func predict(_ row: [Double]) -> Double {
        var i = 0
        while let f = nodes[i].feature { i = row[f] < nodes[i].threshold ? nodes[i].left : nodes[i].right }
        return nodes[i].value
    }
}
