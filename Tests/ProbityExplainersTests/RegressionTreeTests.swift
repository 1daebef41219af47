import Foundation
import XCTest
@testable import ProbityExplainers

/// LIME's other surrogates against scikit-learn 1.9.1 (`Tests/Fixtures/surrogates.json`, made by
/// `Tests/Fixtures/recipes/make_surrogate_fixture.py`): the regression tree (`fitrtree`'s
/// defaults, grown as `DecisionTreeRegressor(min_samples_split=10)` grows it) with MATLAB's
/// predictor importance, and the weighted lasso (`Lasso(alpha=λ)` with sample weights).
final class RegressionTreeTests: XCTestCase {
    struct Fixture: Decodable {
        struct Tree: Decodable { var name: String; var x: [[Double]]; var y: [Double]; var w: [Double]; var branches: Int; var nodes: Int; var importance: [Double]; var prediction: [Double] }
        struct LassoCase: Decodable { var lambda: Double; var x: [[Double]]; var y: [Double]; var w: [Double]; var coefficients: [Double]; var intercept: Double }
        var trees: [Tree]
        var lasso: [LassoCase]
    }

    func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/surrogates.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// The same tree as scikit-learn's: node and branch counts, every training prediction
    /// (to 1e-12), and the importance (to 1e-12 of the largest), on continuous predictors and on
    /// LIME's binary coalitions. `tolerance: 0` leaves out MATLAB's QuadraticErrorTolerance,
    /// which scikit-learn does not have.
    func testTreeMatchesScikitLearn() throws {
        for t in try fixture().trees {
            let tree = RegressionTree(x: t.x, y: t.y, weights: t.w, minParent: 10, tolerance: 0)
            XCTAssertEqual(tree.nodes.count, t.nodes, t.name)
            XCTAssertEqual(tree.branches, t.branches, t.name)
            for (row, want) in zip(t.x, t.prediction) { XCTAssertEqual(tree.predict(row), want, accuracy: 1e-12, t.name) }
            let scale = t.importance.max()!
            for (got, want) in zip(tree.importance, t.importance) { XCTAssertEqual(got, want, accuracy: 1e-12 * scale, t.name) }
        }
    }

    /// Closed forms: the importances times the branch count add up to the root's risk minus the
    /// leaves' (each split's decrease counted once); a constant response grows no branch; fewer
    /// observations than the minimum parent size grow none either.
    func testImportanceTelescopesAndStoppingRules() throws {
        let t = try fixture().trees[0]
        let tree = RegressionTree(x: t.x, y: t.y, weights: t.w)
        let leaves = tree.nodes.filter { $0.feature == nil }.reduce(0) { $0 + $1.risk }
        XCTAssertEqual(tree.importance.reduce(0, +) * Double(tree.branches), tree.nodes[0].risk - leaves, accuracy: 1e-12)
        // MATLAB's QuadraticErrorTolerance (1e-6 of the root's MSE) stops no earlier than the
        // tree without it, and a looser tolerance makes a smaller tree.
        XCTAssertLessThanOrEqual(tree.nodes.count, RegressionTree(x: t.x, y: t.y, weights: t.w, tolerance: 0).nodes.count)
        XCTAssertLessThan(RegressionTree(x: t.x, y: t.y, weights: t.w, tolerance: 0.1).nodes.count, tree.nodes.count)
        XCTAssertEqual(RegressionTree(x: t.x, y: t.x.map { _ in 3 }, weights: t.w).branches, 0)
        XCTAssertEqual(RegressionTree(x: Array(t.x.prefix(9)), y: Array(t.y.prefix(9))).branches, 0)
        XCTAssertEqual(RegressionTree(x: Array(t.x.prefix(10)), y: Array(t.y.prefix(10))).branches > 0, true)
    }

    /// The weighted lasso's coefficients and intercept to 1e-7 at three penalties (one that zeroes
    /// some coefficients).
    func testLassoMatchesScikitLearn() throws {
        for c in try fixture().lasso {
            let (beta, intercept) = LinearFit.lasso(c.x, c.y, weights: c.w, lambda: c.lambda)
            for (got, want) in zip(beta, c.coefficients) { XCTAssertEqual(got, want, accuracy: 1e-7, "λ = \(c.lambda)") }
            XCTAssertEqual(intercept, c.intercept, accuracy: 1e-7, "λ = \(c.lambda)")
        }
        XCTAssert(try fixture().lasso.contains { $0.coefficients.contains(0) }, "a penalty large enough to zero a coefficient")
    }
}
