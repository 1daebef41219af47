import XCTest
import ProbityCore
@testable import ProbityEngine

/// A call's samples side by side on one-thread copies of the model (`GraphModel+Lanes`): the
/// same bits as one model splitting each op over its threads, and as one thread; seeds asked
/// once for every sample, with ranges of the whole call; every kind of call on lanes, hooks
/// without the batch first not; the lanes' plans inside the model's budget; a lane's error thrown.
final class LaneTests: XCTestCase {
    /// The small convolutional classifier of `PlanCacheTests`, chunks of at most 8.
    func model(threads: Int, lanes: Int = GraphModel.defaultMaxLanes) throws -> GraphModel {
        let model = try GraphModel(name: "lane test", inputShape: [3, 16, 16], maxBatch: 8, threads: threads) { try PlanCacheTests.source($0) }
        model.maxBackwardBatch = 4
        model.maxLanes = lanes
        return model
    }

    /// Seeds that use the logits they are given and the samples' places: dL/dy = y · (1 + place)
    /// at the target class (each sample's own), so a seed applied to the wrong rows, or a range
    /// off by a lane's start, changes the gradients.
    func seed(_ targets: [Int], calls: NSMutableArray) -> (Tensor, Range<Int>) throws -> Tensor {
        { logits, range in
            calls.add([range.lowerBound, range.upperBound])
            var s = Tensor(shape: logits.shape)
            for (i, sample) in range.enumerated() { s[i, targets[sample]] = logits[i, targets[sample]] * Float(1 + sample) }
            return s
        }
    }

    func testLanesComputeTheSameBitsAsSplittingOpsAndAsOneThread() throws {
        let lanes = try model(threads: 2), ops = try model(threads: 2, lanes: 1), one = try model(threads: 1)
        var rng = RNG(seed: 7)
        for n in [1, 2, 3, 7, 17] {
            let x = rng.normalTensor(shape: [n, 3, 16, 16])
            let targets = (0..<n).map { $0 % 4 }
            let reference = try one.logits(x)
            XCTAssertEqual(try lanes.logits(x).storage, reference.storage, "logits, \(n) samples")
            XCTAssertEqual(try ops.logits(x).storage, reference.storage, "logits, \(n) samples")
            let hooked = try lanes.forward(x, hooks: ["r", "p"]), hookedOne = try one.forward(x, hooks: ["r", "p"])
            XCTAssertEqual(hooked.logits.storage, reference.storage)
            for name in ["r", "p"] { XCTAssertEqual(hooked.activations[name]!, hookedOne.activations[name]!, "\(name), \(n) samples") }
            for rule in [BackwardRule.gradient, .guidedBackprop] {
                let calls = NSMutableArray(), callsOne = NSMutableArray()
                let r = try lanes.backward(x, rule: rule, hooks: ["r"], seed: seed(targets, calls: calls))
                let s = try one.backward(x, rule: rule, hooks: ["r"], seed: seed(targets, calls: callsOne))
                XCTAssertEqual(r.logits.storage, s.logits.storage)
                XCTAssertEqual(r.input.storage, s.input.storage, "input gradient, \(n) samples, \(rule)")
                XCTAssertEqual(r.activations["r"]!, s.activations["r"]!)
                XCTAssertEqual(r.hookGradients["r"]!.storage, s.hookGradients["r"]!.storage, "hook gradient, \(n) samples")
                // Every sample's seed asked for once, in ranges of the whole call.
                let ranges = (calls as! [[Int]]).sorted { $0[0] < $1[0] }
                XCTAssertEqual(ranges.first?[0], 0)
                XCTAssertEqual(ranges.last?[1], n)
                for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a[1], b[0], "ranges \(ranges)") }
                // 17 samples: parts of 9 and 8, each in chunks of at most 4 / 2 = 2.
                if n == 17 { XCTAssertEqual(ranges.count, 9, "\(ranges)") }
            }
        }
        // The lanes are one-thread copies with half of the chunk limits; the split-op model has none.
        XCTAssertEqual(lanes.laneModels.map(\.threads), [1, 1])
        XCTAssertEqual(lanes.laneModels.map(\.maxBatch), [4, 4])
        XCTAssertEqual(lanes.laneModels.map(\.maxBackwardBatch), [2, 2])
        XCTAssert(ops.laneModels.isEmpty)
    }

    /// Each kind of call runs on the lanes (their plans are made) from two samples on, and
    /// not for one sample, nor with chunk limits below one sample a lane.
    func testEachCallRunsOnLanes() throws {
        var rng = RNG(seed: 10)
        let x = rng.normalTensor(shape: [2, 3, 16, 16])
        let calls: [(String, (GraphModel) throws -> Void)] = [
            ("logits", { _ = try $0.logits(x) }),
            ("forward", { _ = try $0.forward(x, hooks: ["r"]) }),
            ("backward", { _ = try $0.gradient(of: [0, 1], wrt: x) }),
        ]
        for (name, call) in calls {
            let model = try model(threads: 2)
            try call(model)
            XCTAssertEqual(model.laneModels.count, 2, name)
            XCTAssert(model.laneModels.allSatisfy { $0.cachedPlanBytes > 0 }, "\(name): both lanes planned")
            let small = try self.model(threads: 2)
            small.maxBackwardBatch = 1
            try call(small)
            XCTAssert(small.laneModels.isEmpty, "\(name): a backward limit of 1 keeps one chunk at a time")
        }
        let one = try model(threads: 2)
        _ = try one.gradient(of: [0], wrt: x.item(0))
        XCTAssert(one.laneModels.isEmpty)
    }

    /// A hooked output whose samples are not on its first axis ([8, N, 16, 16] here) cannot be
    /// joined from parts: such calls split ops instead, with the same results as one thread.
    func testHooksWithTheBatchElsewhereRunWhole() throws {
        let source: @Sendable (Int) throws -> Graph = { batch in
            var g = try PlanCacheTests.source(batch)
            let c = g.value(named: "c")!
            _ = try g.addNode(name: "swap", op: Rearrange(.transpose(perm: [1, 0, 2, 3])), inputs: [c], outputName: "swapped")
            return g
        }
        let lanes = try GraphModel(name: "swapped", inputShape: [3, 16, 16], maxBatch: 8, threads: 2, source: source)
        let one = try GraphModel(name: "swapped", inputShape: [3, 16, 16], maxBatch: 8, threads: 1, source: source)
        var rng = RNG(seed: 11)
        let x = rng.normalTensor(shape: [3, 3, 16, 16])
        let r = try lanes.forward(x, hooks: ["swapped"]), s = try one.forward(x, hooks: ["swapped"])
        XCTAssertEqual(r.activations["swapped"]!.shape, [8, 3, 16, 16])
        XCTAssertEqual(r.activations["swapped"]!, s.activations["swapped"]!)
        XCTAssert(lanes.laneModels.isEmpty)
        _ = try lanes.forward(x, hooks: ["r"])
        XCTAssertEqual(lanes.laneModels.count, 2, "batch-first hooks do run on lanes")
    }

    /// The lanes' plans count against the model's budget: after calls of several sizes the
    /// cache holds at most the budget, half of what it would keep unbounded, and a budget of zero leaves
    /// only the plan a one-sample call used, the lanes' plans dropped.
    func testLanesShareTheModelsPlanBudget() throws {
        let unbounded = try model(threads: 2), bounded = try model(threads: 2)
        unbounded.planMemoryBudget = .max
        var rng = RNG(seed: 8)
        let xs = [2, 5, 8, 11].map { rng.normalTensor(shape: [$0, 3, 16, 16]) }
        // A backward plan's gradient memory is allocated during the pass, after the budget was
        // checked, so the cache is checked after the forward pass that follows.
        func run(_ model: GraphModel, _ x: Tensor) throws {
            _ = try model.gradient(of: [Int](repeating: 0, count: x.shape[0]), wrt: x)
            _ = try model.logits(x)
        }
        for x in xs { try run(unbounded, x) }
        let kept = unbounded.cachedPlanBytes, lanesKept = unbounded.laneModels.map(\.cachedPlanBytes)
        // A budget of half what the unbounded model keeps, which still fits the largest plan
        // of each lane (the backward plan at batch 2) within the lane's share.
        let largest = Plan(Planner.optimize(try PlanCacheTests.source(2), forBackward: true), keepActivations: true)
        try largest.execute([Tensor(shape: [2, 3, 16, 16])])
        _ = try largest.backward(seed: Tensor(shape: [2, 4]), wrt: largest.graph.inputs)
        bounded.planMemoryBudget = kept / 2
        XCTAssertLessThan(2 * largest.residentBytes + unbounded.cachedPlanBytes - lanesKept.reduce(0, +), bounded.planMemoryBudget)
        // The model's own plans (a one-sample backward) leave the lanes less of the budget.
        _ = try bounded.gradient(of: [1], wrt: xs[0].item(0))
        for x in xs {
            try run(bounded, x)
            XCTAssertLessThanOrEqual(bounded.cachedPlanBytes, bounded.planMemoryBudget, "\(x.shape[0]) samples")
        }
        XCTAssertGreaterThan(bounded.laneModels.reduce(0) { $0 + $1.cachedPlanBytes }, 0)
        bounded.planMemoryBudget = 0
        _ = try bounded.logits(rng.normalTensor(shape: [1, 3, 16, 16]))
        XCTAssertEqual(bounded.cachedPlanBytes, Plan(Planner.optimize(try PlanCacheTests.source(1))).residentBytes)
        // A large plan of the model's own (a profile at batch 11) goes when the lanes next run.
        bounded.planMemoryBudget = kept / 2
        _ = try bounded.profile(xs[3])
        _ = try bounded.logits(xs[1])
        XCTAssertLessThanOrEqual(bounded.cachedPlanBytes, bounded.planMemoryBudget)
    }

    /// A lane's error (here a seed of the wrong shape) is thrown to the caller, and the model
    /// goes on working.
    func testALanesErrorIsThrown() throws {
        let lanes = try model(threads: 2)
        var rng = RNG(seed: 9)
        let x = rng.normalTensor(shape: [6, 3, 16, 16])
        XCTAssertThrowsError(try lanes.backward(x, rule: .gradient, hooks: []) { logits, range in
            Tensor(shape: [range.count, logits.shape[1] + (range.lowerBound >= 3 ? 1 : 0)])
        }) { error in
            XCTAssert("\(error)".contains("seed has shape"), "\(error)")
        }
        // When both lanes fail, the first part's error is the one thrown.
        XCTAssertThrowsError(try lanes.backward(x, rule: .gradient, hooks: []) { logits, range in
            throw ProbityError.invalidArgument("part from \(range.lowerBound < 3 ? "first" : "second")")
        }) { error in
            XCTAssertEqual("\(error)".contains("part from first"), true, "\(error)")
        }
        XCTAssertEqual(try lanes.logits(x).storage, try model(threads: 1).logits(x).storage)
    }
}
