import ProbityCore
import ProbityEngine

/// The noise shared by SmoothGrad, SmoothGrad² and VarGrad: `samples` copies of each image
/// with Gaussian noise of σ = `noise` × (max − min of the image), as in Smilkov et al. 2017
/// (15 % is the paper's recommendation); all copies of a sample run as one batch. Returns
/// the gradients [samples, C, H, W] of sample `s`.
enum NoiseTunnel {
    static func gradients(_ batch: ExplainBatch, sample s: Int, model: Model, samples n: Int, noise: Float, id: String) throws -> Tensor {
        let x = batch.item(s)
        let range = (x.storage.max() ?? 0) - (x.storage.min() ?? 0)
        let sigma = noise * range
        var rng = batch.rng(s, id)
        var noisy = MapOps.repeated(x, n)
        for i in 0..<noisy.count { noisy.storage[i] += sigma * rng.normal() }
        return try model.gradient(of: [Int](repeating: batch.targets[s], count: n), wrt: noisy).grad
    }

    static let specs: [OptionSpec] = [
        OptionSpec("samples", default: "50", .int(1...10_000), "noisy copies per image"),
        OptionSpec("noise", default: "0.15", .double(0...10), "noise σ as a fraction of the image's value range"),
    ]

    /// Per-element statistic over the copies, then |·| max over channels: `mean`, `meanSquare`, `variance`.
    static func explain(_ batch: ExplainBatch, model: Model, options: Options, id: String, statistic: (_ values: [Float]) -> Float) throws -> Attribution {
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        let per = c * h * w
        var result = Tensor(shape: [batch.count, c, h, w])
        let n = options.int("samples")
        var values = [Float](repeating: 0, count: n)
        for s in 0..<batch.count {
            let g = try gradients(batch, sample: s, model: model, samples: n, noise: options.float("noise"), id: id)
            for i in 0..<per {
                for k in 0..<n { values[k] = g.storage[k * per + i] }
                result.storage[s * per + i] = statistic(values)
            }
        }
        return Attribution(maps: MapOps.maxAbs(result))
    }
}
