import Dispatch
import Foundation
import ProbityCore
import ProbityEngine

/// RISE (Petsiuk, Das & Saenko 2018, "RISE: randomized input sampling for explanation of
/// black-box models"): N random masks — an s×s grid of cells kept with probability p,
/// upsampled bilinearly to (s + 1)·⌈H/s⌉ and cropped at a random shift — multiply the input
/// (so masked pixels are 0 in the model's input space, as the reference code does on the
/// normalized tensor); the map is Σ_i P(target | x ⊙ M_i)·M_i / (N·p). Defaults N = 4000,
/// s = 7, p = 0.5 (the paper). Masks come from the sample's own random stream; masked
/// images run in batches.
///
/// Mask upsampling (`border`): the reference code (eclique/RISE `explanations.py`,
/// `generate_masks`) resizes the grid with scikit-image `resize(order=1, mode='reflect',
/// anti_aliasing=False)`: half-pixel centres, positions past the edge mirrored about the edge
/// cell, so the outer half-cell blends in the neighbouring cell. `reflect` (default) does
/// that; `clamp` repeats the edge cell (Probity before issue 14).
public struct RISE: Explainer {
    public static let name = "rise"
    public var seeded: Bool { true }
    public static let summary = "Probability-weighted sum of random masks (Petsiuk et al. 2018; reference code eclique/RISE)"
    public static let optionSpecs: [OptionSpec] = [
        OptionSpec("masks", default: "4000", .int(1...1_000_000), "number of masks N"),
        OptionSpec("cells", default: "7", .int(1...1024), "grid size s"),
        OptionSpec("p", default: "0.5", .double(0.001...1), "probability a cell is kept"),
        OptionSpec("border", default: "reflect", .choice(["reflect", "clamp"]), "mask upsampling past the edge: reflect (reference code, scikit-image mode reflect) or clamp"),
    ]
    public let options: Options
    public init(options: Options) throws { self.options = options }

    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        let n = options.int("masks"), s = options.int("cells")
        let p = Float(options.double("p"))
        let cellH = (h + s - 1) / s, cellW = (w + s - 1) / s
        let upH = (s + 1) * cellH, upW = (s + 1) * cellW
        var maps = Tensor(shape: [batch.count, h, w])
        let plane = h * w
        let border = options.string("border")
        let threads = Swift.max(1, model.threads)
        // The masks of the chunk in flight, by position in it.
        let masks = UnsafeMutablePointer<Float>.allocate(capacity: model.maxBatch * plane)
        defer { masks.deallocate() }
        for sample in 0..<batch.count {
            let x = batch.item(sample)
            var rng = batch.rng(sample, options.removing("border").id)   // the same grids and shifts for either border
            var sal = [Double](repeating: 0, count: plane)
            var first = 0   // the first mask of the chunk in flight
            // Grids and shifts are drawn in order from the sample's stream; upsampling and
            // masking run on the model's threads (the same values as one loop would give).
            try model.evaluate(count: n, start: x, threads: threads) { _ -> (grid: Tensor, dy: Int, dx: Int) in
                var grid = Tensor(shape: [1, s, s])
                for i in 0..<(s * s) { grid.storage[i] = rng.uniform() < p ? 1 : 0 }
                let dy = rng.int(below: cellH), dx = rng.int(below: cellW)
                return (grid, dy, dx)
            } build: { drawn, j, masked in
                let mask = masks + (j - first) * plane
                let up = RISE.upsampled(drawn.grid, height: upH, width: upW, border: border)
                up.storage.withUnsafeBufferPointer { u in
                    for y in 0..<h { (mask + y * w).update(from: u.baseAddress! + (y + drawn.dy) * upW + drawn.dx, count: w) }
                }
                for ch in 0..<c { for i in 0..<plane { masked[ch * plane + i] *= mask[i] } }
            } consume: { start, logits in
                let probs = (0..<logits.shape[0]).map { Double(MapOps.probability(logits, row: $0, class: batch.targets[sample])) }
                // Each pixel's sum runs over the masks in order, split by pixels over the threads.
                sal.withUnsafeMutableBufferPointer { sums in
                    ExecutionContext.split(plane, threads: threads) { pixels, _ in
                        for (j, prob) in probs.enumerated() {
                            let mask = masks + j * plane
                            for i in pixels { sums[i] += prob * Double(mask[i]) }
                        }
                    }
                }
                first = start + logits.shape[0]
            }
            for i in 0..<plane { maps.storage[sample * plane + i] = Float(sal[i] / Double(n) / Double(p)) }
        }
        return Attribution(maps: maps)
    }

    /// The s × s grid [1, s, s] linearly upsampled with half-pixel centres; `reflect` mirrors
    /// positions past the edge (scikit-image `resize(order=1, mode='reflect')` — when enlarging
    /// its anti-aliasing filter has σ = 0, so `.antialiased` is exactly that), `clamp` repeats
    /// the edge.
    static func upsampled(_ grid: Tensor, height: Int, width: Int, border: String) -> Tensor {
        grid.resized(height: height, width: width, method: border == "clamp" ? .bilinear : .antialiased)
    }
}
