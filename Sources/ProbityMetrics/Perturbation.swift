import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The shared core of the perturbation curves (deletion, insertion, region perturbation):
/// frame f takes the pixels of the first f groups from `source` and the rest from `start`;
/// frames run through the model in `Model.evaluate`'s chunks, so a curve never holds all its
/// frames.
enum Perturbation {
    static func scoreSpec(_ defaultValue: String) -> OptionSpec {
        OptionSpec("score", default: defaultValue, .choice(["probability", "logit"]), "softmax probability of the target, or its logit")
    }

    /// The target's score in row `row` of `logits`.
    static func score(_ logits: Tensor, row: Int, target: Int, kind: String) -> Float {
        kind == "logit" ? logits[row, target] : MapOps.probability(logits, row: row, class: target)
    }

    /// Scores at frames 0 … groups.count of image pair `start`/`source` [1, C, H, W].
    static func curve(start: Tensor, source: Tensor, groups: [[Int]], model: Model, target: Int, score kind: String) throws -> [Float] {
        let (c, plane) = (start.shape[1], start.shape[2] * start.shape[3])
        var current = start
        var curve: [Float] = []
        try model.evaluate(count: groups.count + 1) { f, frame in
            if f > 0 {
                for p in groups[f - 1] { for ch in 0..<c { current.storage[ch * plane + p] = source.storage[ch * plane + p] } }
            }
            current.storage.withUnsafeBufferPointer { _ = frame.update(fromContentsOf: $0) }
        } consume: { _, logits in
            for j in 0..<logits.shape[0] { curve.append(score(logits, row: j, target: target, kind: kind)) }
        }
        return curve
    }

    /// The drops f(x) − f(x′) of the target's score for `count` perturbed copies x′ of `x`
    /// [1, C, H, W], made by `Model.evaluate`: `perturb(j, copy)` changes copy j in place (its
    /// storage, [C·H·W], a copy of x's) and is called in order j = 0, 1, ….
    static func drops(of x: Tensor, count: Int, target: Int, kind: String, model: Model,
                      perturb: (Int, UnsafeMutableBufferPointer<Float>) -> Void) throws -> [Double] {
        let full = Double(score(try model.logits(x), row: 0, target: target, kind: kind))
        var out: [Double] = []
        try model.evaluate(count: count, start: x) { j, copy in perturb(j, copy) } consume: { _, logits in
            for j in 0..<logits.shape[0] { out.append(full - Double(score(logits, row: j, target: target, kind: kind))) }
        }
        return out
    }

    /// Indices by descending value, ties by index (a stable, reproducible order).
    static func descending(_ values: [Float]) -> [Int] {
        values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
    }

    /// Indices by ascending value, ties by index.
    static func ascending(_ values: [Float]) -> [Int] {
        values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
    }

    /// The substrate of sample s for metric `id`, from the sample's random stream.
    static func substrate(_ name: String, _ input: MetricInput, sample s: Int, id: String) throws -> Tensor {
        var rng = RNG(seed: input.seed, stream: [.name(id), .number(input.samples[s])])
        return try Baseline.make(name, for: input.x.item(s), preprocessing: input.preprocessing, rng: &rng)
    }
}
