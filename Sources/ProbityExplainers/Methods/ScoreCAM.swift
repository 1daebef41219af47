import Foundation
import ProbityCore
import ProbityEngine

/// Score-CAM (Wang et al. 2020, "Score-CAM: score-weighted visual explanations"): each channel
/// of the layer, upsampled to the input and min-max scaled to [0, 1], masks the input; the
/// target logit of each masked input, softmaxed over channels, weights the channels; map
/// relu(Σ_k w_k A_k). As pytorch-grad-cam's `ScoreCAM`: all channels (or the `channels` with
/// the largest mean activation), masked inputs run in batches; masks are min-max scaled with
/// pytorch-grad-cam's (A − min)/(max − min + 1e-8). A transformer's token map is laid out as
/// an image first, as for the other CAMs (`CAM`).
///
/// Mask upsampling (`upsampling`): pytorch-grad-cam's `score_cam.py` uses
/// `torch.nn.UpsamplingBilinear2d`, i.e. bilinear with `align_corners=True` (corner samples on
/// the corner pixels); that is the default `align_corners`. `half_pixel` uses half-pixel
/// centres with clamped edges (PyTorch `align_corners=False`; Probity before issue 14). The
/// final map is upsampled with half-pixel centres either way, as pytorch-grad-cam's
/// `scale_cam_image` (OpenCV `resize`) does.
public struct ScoreCAM: Explainer {
    public static let name = "scorecam"
    public static let summary = "Channels weighted by the score of the input they mask (Wang et al. 2020; pytorch-grad-cam ScoreCAM)"
    public static let optionSpecs = [CAM.layerOption, OptionSpec("channels", default: "0", .int(0...100_000), "channels used, by largest mean activation (0: all)"),
                                     OptionSpec("upsampling", default: "align_corners", .choice(["align_corners", "half_pixel"]),
                                                "mask upsampling: align_corners (pytorch-grad-cam's UpsamplingBilinear2d) or half_pixel")]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let a = try CAM.activation(batch, model: model, layer: options.string("layer"))
        let (n, k, h, w) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let (c, height, width) = (batch.channels, batch.height, batch.width)
        var weights = Tensor(shape: [n, k])
        let halfPixel = options.string("upsampling") == "half_pixel"
        let alignCorners = AlignCornersResize(h: h, w: w, height: height, width: width)
        let threads = Swift.max(1, model.threads)
        for s in 0..<n {
            let planes = Tensor(shape: [k, h, w], storage: Array(a.storage[(s * k * h * w)..<((s + 1) * k * h * w)]))
            var chosen = Array(0..<k)
            if options.int("channels") > 0 && options.int("channels") < k {
                let means = (0..<k).map { ch in planes.storage[(ch * h * w)..<((ch + 1) * h * w)].reduce(0, +) }
                chosen = Array((0..<k).sorted { means[$0] > means[$1] }.prefix(options.int("channels")))
            }
            let x = batch.item(s)
            let plane = height * width
            var scores = [Float](repeating: -.infinity, count: k)
            // Each masked input is built on the model's threads from its own channel: the
            // channel is upsampled into the input's first plane, min–max scaled there, and
            // multiplies the image's planes, the first last (it holds the mask until then). The
            // values are those of upsampling all channels first and masking one at a time.
            try model.evaluate(count: chosen.count, threads: threads) { j in chosen[j] } build: { ch, _, masked in
                let mask = masked.baseAddress!
                if halfPixel {
                    let one = Tensor(shape: [1, h, w], storage: Array(planes.storage[(ch * h * w)..<((ch + 1) * h * w)]))
                    MapOps.upsample(one, height: height, width: width).storage.withUnsafeBufferPointer { mask.update(from: $0.baseAddress!, count: plane) }
                } else {
                    planes.storage.withUnsafeBufferPointer { alignCorners.resize($0.baseAddress! + ch * h * w, into: mask) }
                }
                var lo = Float.infinity, hi = -Float.infinity
                for i in 0..<plane { let v = mask[i]; lo = min(lo, v); hi = max(hi, v) }
                let scale: Float = 1 / (hi - lo + 1e-8)
                for i in 0..<plane { mask[i] = (mask[i] - lo) * scale }
                x.storage.withUnsafeBufferPointer { xs in
                    for cc in stride(from: c - 1, through: 0, by: -1) {
                        let dst = mask + cc * plane, src = xs.baseAddress! + cc * plane
                        for i in 0..<plane { dst[i] = src[i] * mask[i] }
                    }
                }
            } consume: { first, logits in
                for j in 0..<logits.shape[0] { scores[chosen[first + j]] = logits[j, batch.targets[s]] }
            }
            let top = scores.max()!
            let e = scores.map { $0 == -.infinity ? 0 : expf($0 - top) }
            let sum = e.reduce(0, +)
            for ch in 0..<k { weights.storage[s * k + ch] = e[ch] / sum }
        }
        return Attribution(maps: CAM.upsampled(CAM.weightedSum(a, weights: weights), to: batch))
    }

    /// Bilinear resize of [h, w] planes to [height, width] with `align_corners=True` (PyTorch's
    /// `UpsamplingBilinear2d`): output index o reads input position o·(n − 1)/(m − 1). The taps
    /// are worked out once, for every plane resized.
    struct AlignCornersResize {
        let w: Int, width: Int
        let ty: [(Int, Int, Float)], tx: [(Int, Int, Float)]

        init(h: Int, w: Int, height: Int, width: Int) {
            func taps(_ n: Int, _ m: Int) -> [(Int, Int, Float)] {
                (0..<m).map { o in
                    let x = m > 1 ? Double(o) * Double(n - 1) / Double(m - 1) : 0
                    let i0 = min(Int(x.rounded(.down)), n - 1), i1 = min(i0 + 1, n - 1)
                    return (i0, i1, Float(x - Double(i0)))
                }
            }
            self.w = w; self.width = width
            ty = taps(h, height); tx = taps(w, width)
        }

        /// Resizes the plane at `plane` into `out` ([height, width]).
        func resize(_ plane: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            for (y, (y0, y1, fy)) in ty.enumerated() {
                let r0 = plane + y0 * w, r1 = plane + y1 * w, row = out + y * width
                for (x, (x0, x1, fx)) in tx.enumerated() {
                    let top = r0[x0] * (1 - fx) + r0[x1] * fx
                    let bottom = r1[x0] * (1 - fx) + r1[x1] * fx
                    row[x] = top * (1 - fy) + bottom * fy
                }
            }
        }
    }
}
