import XCTest
import ProbityCore
@testable import ProbityEngine

/// `GraphModel`'s plan cache within its memory budget: least recently used plans go first,
/// the plan about to run never does, and what a model computes does not depend on what it
/// kept.
final class PlanCacheTests: XCTestCase {
    /// x [N, 3, 16, 16] → Conv 3×3 (8 channels, pad 1) → Relu → GlobalAveragePool → Flatten → Gemm → [N, 4].
    static func source(_ batch: Int) throws -> Graph {
        var rng = RNG(seed: 41)
        var g = Graph()
        let x = g.addValue(name: "x", shape: [batch, 3, 16, 16])
        g.inputs = [x]
        let w1 = g.addValue(name: "w1", shape: [8, 3, 3, 3], constant: rng.normalTensor(shape: [8, 3, 3, 3], std: 0.5))
        let w2 = g.addValue(name: "w2", shape: [4, 8], constant: rng.normalTensor(shape: [4, 8], std: 0.5))
        let c = try g.addNode(name: "conv", op: Conv(pads: (1, 1, 1, 1)), inputs: [x, w1], outputName: "c")
        let r = try g.addNode(name: "relu", op: Activation(.relu), inputs: [c], outputName: "r")
        let p = try g.addNode(name: "gap", op: GlobalPool(max: false), inputs: [r], outputName: "p")
        let f = try g.addNode(name: "flat", op: Reshape(to: [batch, 8], type: "Flatten"), inputs: [p], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [f, w2], outputName: "y")]
        return g
    }

    /// Two threads splitting each op (no lanes, which `LaneTests` covers), so the plans are the model's own.
    func model() throws -> GraphModel {
        let model = try GraphModel(name: "cache test", inputShape: [3, 16, 16], maxBatch: 8, threads: 2) { try PlanCacheTests.source($0) }
        model.maxLanes = 1
        return model
    }

    /// A plan's arena is the size `Plan.arenaBytes` predicts before allocating it: the constants
    /// (8·3·3·3 + 4·8 = 248 floats), the input, then every value for a plan that keeps them all.
    func testArenaBytesArePredicted() throws {
        let g = Planner.optimize(try PlanCacheTests.source(2))
        XCTAssertEqual(Plan.arenaBytes(g), Plan(g).arenaBytes)
        XCTAssertEqual(Plan.arenaBytes(g, keepActivations: true), Plan(g, keepActivations: true).arenaBytes)
        // Kept: w1 (224 after rounding to 16), w2 (32), x (1536), conv+relu (4096), pool (16), flat (16), y (16).
        XCTAssertEqual(Plan.arenaBytes(g, keepActivations: true), 4 * (224 + 32 + 1536 + 4096 + 16 + 16 + 16))
    }

    /// With a budget of about one backward plan, a run of forward passes at five batch sizes and
    /// backward passes at two keeps the cache within the budget (beside the plan in use), and
    /// gives the same logits and gradients bit for bit as a model that keeps every plan.
    func testBudgetBoundsTheCacheAndChangesNoResult() throws {
        let unlimited = try model(), bounded = try model()
        unlimited.planMemoryBudget = .max
        var rng = RNG(seed: 42)
        let xs = (1...5).map { rng.normalTensor(shape: [$0, 3, 16, 16]) }
        let backwardBytes = Plan(Planner.optimize(try PlanCacheTests.source(5), forBackward: true), keepActivations: true).arenaBytes
        bounded.planMemoryBudget = backwardBytes + backwardBytes / 4
        for round in 0..<2 {
            for x in xs {
                XCTAssertEqual(try bounded.logits(x).storage, try unlimited.logits(x).storage, "round \(round), batch \(x.shape[0])")
                XCTAssertLessThanOrEqual(bounded.cachedPlanBytes, bounded.planMemoryBudget)
            }
            for x in [xs[4], xs[2]] {
                let targets = [Int](repeating: 1, count: x.shape[0])
                XCTAssertEqual(try bounded.gradient(of: targets, wrt: x).grad.storage, try unlimited.gradient(of: targets, wrt: x).grad.storage)
                // The backward plan just used stays even when it alone fills the budget.
                XCTAssertGreaterThan(bounded.cachedPlanBytes, 0)
            }
        }
        XCTAssertGreaterThan(unlimited.cachedPlanBytes, 2 * bounded.planMemoryBudget, "the unbounded model kept every plan")
        // A budget of zero keeps only the plan in use.
        bounded.planMemoryBudget = 0
        _ = try bounded.logits(xs[0])
        XCTAssertEqual(bounded.cachedPlanBytes, Plan(Planner.optimize(try PlanCacheTests.source(1))).residentBytes)
    }
}
