import ProbityCore
import ProbityEngine
import ProbityExplainers

/// The shared core of the perturbation curves (deletion, insertion, region perturbation):
/// frame f takes the pixels of the first f groups from `source` and the rest from `start`;
/// frames run through the model 32 at a time, so a curve never holds all its frames.
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
        let (c, h, w) = (start.shape[1], start.shape[2], start.shape[3])
        let plane = h * w
        var current = start
        var curve: [Float] = []
        var frame = 0
        while frame <= groups.count {
            let count = min(32, groups.count + 1 - frame)
            var batch = Tensor(shape: [count, c, h, w])
            for j in 0..<count {
                let f = frame + j
                if f > 0 {
                    for p in groups[f - 1] { for ch in 0..<c { current.storage[ch * plane + p] = source.storage[ch * plane + p] } }
                }
                batch.storage.replaceSubrange((j * start.count)..<((j + 1) * start.count), with: current.storage)
            }
            let logits = try model.logits(batch)
            for j in 0..<count { curve.append(score(logits, row: j, target: target, kind: kind)) }
            frame += count
        }
        return curve
    }

    /// The drops f(x) − f(x′) of the target's score for `count` perturbed copies x′ of `x`
    /// [1, C, H, W], made 32 at a time: `perturb(j, copy)` changes copy j in place (its storage,
    /// [C·H·W]) and is called in order j = 0, 1, ….
    static func drops(of x: Tensor, count: Int, target: Int, kind: String, model: Model,
                      perturb: (Int, inout ArraySlice<Float>) -> Void) throws -> [Double] {
        let full = Double(score(try model.logits(x), row: 0, target: target, kind: kind))
        var out: [Double] = []
        var start = 0
        while start < count {
            let k = Swift.min(32, count - start)
            var batch = MapOps.repeated(x, k)
            for j in 0..<k { perturb(start + j, &batch.storage[(j * x.count)..<((j + 1) * x.count)]) }
            let logits = try model.logits(batch)
            for j in 0..<k { out.append(full - Double(score(logits, row: j, target: target, kind: kind))) }
            start += k
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
