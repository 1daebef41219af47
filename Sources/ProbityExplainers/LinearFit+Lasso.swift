import Foundation

extension LinearFit {
    /// The weighted lasso with an unpenalized intercept, for LIME's `surrogate=lasso`:
    /// minimizes ½ Σᵢ w̃ᵢ (yᵢ − b − xᵢβ)² + λ‖β‖₁ with the weights normalized to sum 1 (w̃),
    /// the objective of scikit-learn's `Lasso(alpha=λ).fit(X, y, sample_weight=w)` and of MATLAB's
    /// `fitrlinear` with `Learner="leastsquares"`, `Regularization="lasso"` (whose default λ is
    /// 1/n). Cyclic coordinate descent on the weighted-centered data, as scikit-learn, until no
    /// coefficient moves by more than `tolerance` times the largest coefficient (at most
    /// `sweeps` passes). Returns (coefficients, intercept).
    static func lasso(_ x: [[Double]], _ y: [Double], weights: [Double], lambda: Double,
                      tolerance: Double = 1e-10, sweeps: Int = 10_000) -> ([Double], Double) {
        let m = x.first?.count ?? 0
        let total = weights.reduce(0, +)
        let w = weights.map { $0 / total }
        var xm = [Double](repeating: 0, count: m), ym = 0.0
        for (r, row) in x.enumerated() { for j in 0..<m { xm[j] += w[r] * row[j] }; ym += w[r] * y[r] }
        // Columns of the centered data, and their weighted squared norms.
        var columns = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: m)
        for (r, row) in x.enumerated() { for j in 0..<m { columns[j][r] = row[j] - xm[j] } }
        let norms = columns.map { c in zip(c, w).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } }
        var residual = y.map { $0 - ym }
        var beta = [Double](repeating: 0, count: m)
        for _ in 0..<sweeps {
            var largestStep = 0.0, largest = 0.0
            for j in 0..<m where norms[j] > 0 {
                let c = columns[j]
                var rho = 0.0
                for r in c.indices { rho += w[r] * c[r] * residual[r] }
                rho += norms[j] * beta[j]
                let new = (rho > lambda ? rho - lambda : (rho < -lambda ? rho + lambda : 0)) / norms[j]
                let step = new - beta[j]
                if step != 0 {
                    for r in c.indices { residual[r] -= c[r] * step }
                    beta[j] = new
                }
                largestStep = max(largestStep, abs(step))
                largest = max(largest, abs(new))
            }
            if largestStep <= tolerance * max(largest, 1e-300) { break }
        }
        let intercept = ym - zip(beta, xm).reduce(0) { $0 + $1.0 * $1.1 }
        return (beta, intercept)
    }
}
