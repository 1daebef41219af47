import ProbityCore
import ProbityEngine

/// Occlusion (Zeiler & Fergus 2014): a window slides over the image; the drop of the target
/// logit when the window (all channels) is replaced by the baseline is added to every pixel
/// under it, and each pixel's sum is divided by the number of windows covering it — Captum's
/// `Occlusion` with a window spanning all channels (Captum repeats the value per channel; the
/// map is one channel of it). Defaults: window W/7 (32 at 224), stride half the window,
/// baseline `zero` (Captum's). Occluded images run in batches.
///
/// Window positions are Captum's (`_occlusion_shift_counts`, `_occlusion_mask`): along a side of
/// D pixels, ⌈(D − W)/s⌉ + 1 windows start at 0, s, 2s, …; when (D − W) is not a multiple of s
/// the last one starts past D − W and is cropped at the border, so every pixel is covered.
/// (Before issue 14 positions stopped at D − W and the uncovered bottom and right border was
/// written as 0 — the last 3 rows and columns of a 64 px image at window 9, stride 4.) A stride
/// larger than the window is refused, as Captum refuses it.
public struct Occlusion: Explainer {
    public static let name = "occlusion"
    public static let signed = true
    public var seeded: Bool { options.string("baseline") == "noise" }
    public static let summary = "Logit drop when a sliding window is replaced by a baseline (Zeiler & Fergus 2014; Captum Occlusion)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("window", default: "auto", .text, "window side in pixels (auto: image width / 7)"),
        OptionSpec("stride", default: "auto", .text, "stride in pixels (auto: half the window)"),
        OptionSpec("baseline", default: "zero", .baseline, "what replaces the window"),
    ]
    public let options: Options
    public init(options: Options) throws {
        self.options = options
        for key in ["window", "stride"] where options.string(key) != "auto" {
            guard let v = Int(options.string(key)), v > 0 else { throw ProbityError.invalidArgument("occlusion: \(key) must be auto or a positive integer, got \(options.string(key))") }
        }
    }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        let window = options.string("window") == "auto" ? max(1, w / 7) : min(Int(options.string("window"))!, min(h, w))
        let step = options.string("stride") == "auto" ? max(1, window / 2) : Int(options.string("stride"))!
        guard step <= window else {   // Captum asserts the same: a larger stride leaves pixels no window covers
            throw ProbityError.invalidArgument("occlusion: stride \(step) is larger than the window \(window), which would leave pixels unscored (Captum refuses it too)")
        }
        let ys = Occlusion.starts(size: h, window: window, stride: step), xs = Occlusion.starts(size: w, window: window, stride: step)
        var maps = Tensor(shape: [batch.count, h, w])
        for s in 0..<batch.count {
            let x = batch.item(s)
            var rng = batch.rng(s, id)
            let base = try Baseline.make(options.string("baseline"), for: x, preprocessing: batch.preprocessing, rng: &rng)
            let t = batch.targets[s]
            let reference = try batch.logits(s, model: model)[0, t]
            let positions = ys.flatMap { y in xs.map { (y, $0) } }
            var sum = [Float](repeating: 0, count: h * w), count = [Float](repeating: 0, count: h * w)
            try model.evaluate(count: positions.count, start: x) { j, occluded in
                let (y0, x0) = positions[j]
                for ch in 0..<c { for y in y0..<min(h, y0 + window) { for xx in x0..<min(w, x0 + window) {
                    let i = ch * h * w + y * w + xx
                    occluded[i] = base.storage[i]
                } } }
            } consume: { first, logits in
                for j in 0..<logits.shape[0] {
                    let (y0, x0) = positions[first + j]
                    let drop = reference - logits[j, t]
                    for y in y0..<min(h, y0 + window) { for xx in x0..<min(w, x0 + window) { sum[y * w + xx] += drop; count[y * w + xx] += 1 } }
                }
            }
            for i in 0..<(h * w) { maps.storage[s * h * w + i] = count[i] > 0 ? sum[i] / count[i] : 0 }
        }
        return Attribution(maps: maps)
    }

    /// Window starts along one side, as Captum: ⌈(size − window)/stride⌉ + 1 of them, i·stride;
    /// the last window may reach past the border and is cropped there.
    static func starts(size: Int, window: Int, stride step: Int) -> [Int] {
        let shifts = (size - window + step - 1) / step + 1
        return (0..<shifts).map { $0 * step }
    }
}
