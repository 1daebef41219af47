import Foundation
import ProbityCore

/// A synthetic dataset with known ground truth, for checking explainers and metrics where
/// the right answer is known: each image shows one class-deciding shape (circle, square,
/// triangle or cross) of random size, position and color on a smooth random texture, with thin
/// distractor strokes that carry no class information. The shape's pixels are the mask and its
/// tight bounding box the box.
///
/// `spurious` (0…1) adds, with that probability, a small patch whose corner depends on the
/// class: a shortcut a model can learn instead of the shape (Geirhos et al. 2020, "Shortcut
/// learning"), so explainers can be scored on whether they reveal it. With `groundTruth`
/// `.patch` the mask and box are the patch's pixels instead of the shape's (empty for a sample
/// without a patch, which localization metrics then leave out): relevance mass and the
/// pointing game then measure how much an explanation points at the shortcut.
///
/// Sample `i` is drawn from the random stream (seed, "shapes", i): a sample does not depend on
/// how many are generated.
public struct SyntheticShapes: Sendable {
    public static let classNames = ["circle", "square", "triangle", "cross"]

    public var count: Int
    public var size: Int = 64
    public var seed: UInt64 = 0
    public var spurious: Double = 0
    public var testFraction: Double? = nil
    public var groundTruth: GroundTruth = .shape

    /// What the mask and box mark: the class-deciding shape, or the shortcut patch.
    public enum GroundTruth: String, Sendable, CaseIterable { case shape, patch }

    public init(count: Int, size: Int = 64, seed: UInt64 = 0, spurious: Double = 0, testFraction: Double? = nil, groundTruth: GroundTruth = .shape) {
        self.count = count; self.size = size; self.seed = seed; self.spurious = spurious; self.testFraction = testFraction; self.groundTruth = groundTruth
    }

    /// One generated sample.
    public struct Sample: Sendable {
        public var pixels: [UInt8]   // [S, S, 3]
        public var mask: [UInt8]     // [S, S]
        public var label: Int
        public var box: Box
        public var split: UInt8
        public var hasPatch: Bool
    }

    /// Sample `index`.
    public func sample(_ index: Int) -> Sample {
        var rng = RNG(seed: seed, stream: ["shapes", .number(index)])
        let s = size
        let label = rng.int(below: SyntheticShapes.classNames.count)
        let split: UInt8 = testFraction.map { rng.uniformDouble() < $0 ? 1 : 0 } ?? 0

        // Background: a few low-frequency sinusoids per channel around a random gray, plus grain.
        var rgb = [Float](repeating: 0, count: s * s * 3)
        for c in 0..<3 {
            let base = rng.uniform(0.3, 0.7)
            var waves: [(Float, Float, Float, Float)] = []
            for _ in 0..<3 { waves.append((rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0, 6.283), rng.uniform(0.03, 0.08))) }
            for y in 0..<s { for x in 0..<s {
                var v = base
                for (fx, fy, phase, amp) in waves {
                    v += amp * Foundation.sin(6.283 * (fx * Float(x) + fy * Float(y)) / Float(s) + phase)
                }
                rgb[(y * s + x) * 3 + c] = v + 0.03 * (rng.uniform() - 0.5)
            } }
        }

        // Distractors: thin straight strokes in random colors.
        for _ in 0..<(1 + rng.int(below: 3)) {
            let color = (rng.uniform(), rng.uniform(), rng.uniform())
            var x = rng.uniform(0, Float(s)), y = rng.uniform(0, Float(s))
            let angle = rng.uniform(0, 6.283), length = rng.uniform(0.3, 0.7) * Float(s)
            let steps = Int(length * 2)
            for _ in 0..<steps {
                let xi = Int(x), yi = Int(y)
                if xi >= 0 && xi < s && yi >= 0 && yi < s {
                    rgb[(yi * s + xi) * 3] = color.0; rgb[(yi * s + xi) * 3 + 1] = color.1; rgb[(yi * s + xi) * 3 + 2] = color.2
                }
                x += 0.5 * Foundation.cos(angle); y += 0.5 * Foundation.sin(angle)
            }
        }

        // The shape: its extent, position and a saturated color far from the background.
        let extent = rng.uniform(0.3, 0.5) * Float(s)
        let cx = rng.uniform(extent / 2 + 1, Float(s) - extent / 2 - 1)
        let cy = rng.uniform(extent / 2 + 1, Float(s) - extent / 2 - 1)
        let hue = rng.uniform(0, 6)
        let color = SyntheticShapes.saturated(hue: hue, bright: rng.uniform() < 0.5)
        var mask = [UInt8](repeating: 0, count: s * s)
        let r = extent / 2
        for y in 0..<s { for x in 0..<s {
            let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
            let inside: Bool
            switch label {
            case 0: inside = dx * dx + dy * dy <= r * r
            case 1: inside = abs(dx) <= r * 0.85 && abs(dy) <= r * 0.85
            case 2: inside = dy <= r * 0.8 && dy >= -r && abs(dx) <= (dy + r) * 0.5   // apex up, base 1.8r wide
            default: inside = (abs(dx) <= r * 0.3 && abs(dy) <= r) || (abs(dy) <= r * 0.3 && abs(dx) <= r)
            }
            if inside {
                mask[y * s + x] = 1
                rgb[(y * s + x) * 3] = color.0; rgb[(y * s + x) * 3 + 1] = color.1; rgb[(y * s + x) * 3 + 2] = color.2
            }
        } }
        var x0 = s, y0 = s, x1 = 0, y1 = 0
        for y in 0..<s { for x in 0..<s where mask[y * s + x] == 1 {
            x0 = Swift.min(x0, x); y0 = Swift.min(y0, y); x1 = Swift.max(x1, x + 1); y1 = Swift.max(y1, y + 1)
        } }

        // The shortcut patch: a class-specific corner, a fixed color.
        let hasPatch = spurious > 0 && rng.uniformDouble() < spurious
        var patch = [UInt8](repeating: 0, count: s * s)
        var patchBox = Box(sample: index, label: label, x0: 0, y0: 0, x1: 0, y1: 0)
        if hasPatch {
            let p = Swift.max(2, s / 10)
            let px = (label & 1) == 0 ? 1 : s - p - 1, py = (label & 2) == 0 ? 1 : s - p - 1
            for y in py..<(py + p) { for x in px..<(px + p) where mask[y * s + x] == 0 {
                rgb[(y * s + x) * 3] = 1; rgb[(y * s + x) * 3 + 1] = 0; rgb[(y * s + x) * 3 + 2] = 1
                patch[y * s + x] = 1
            } }
            patchBox = Box(sample: index, label: label, x0: Float(px), y0: Float(py), x1: Float(px + p), y1: Float(py + p))
        }
        let pixels = rgb.map { UInt8(Swift.min(255, Swift.max(0, ($0 * 255).rounded()))) }
        let box = Box(sample: index, label: label, x0: Float(x0), y0: Float(y0), x1: Float(x1), y1: Float(y1))
        if groundTruth == .patch {
            return Sample(pixels: pixels, mask: patch, label: label, box: patchBox, split: split, hasPatch: hasPatch)
        }
        return Sample(pixels: pixels, mask: mask, label: label, box: box, split: split, hasPatch: hasPatch)
    }

    static func saturated(hue: Float, bright: Bool) -> (Float, Float, Float) {
        let x = 1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1)
        let (r, g, b): (Float, Float, Float)
        switch Int(hue) {
        case 0: (r, g, b) = (1, x, 0)
        case 1: (r, g, b) = (x, 1, 0)
        case 2: (r, g, b) = (0, 1, x)
        case 3: (r, g, b) = (0, x, 1)
        case 4: (r, g, b) = (x, 0, 1)
        default: (r, g, b) = (1, 0, x)
        }
        let k: Float = bright ? 1 : 0.45
        return (r * k, g * k, b * k)
    }

    /// Writes the dataset (model input = pixel / 255 × 2 − 1).
    public func write(to path: String) throws {
        guard count > 0, size >= 16 else { throw ProbityError.invalidArgument("shapes needs --count ≥ 1 and --size ≥ 16") }
        guard (0...1).contains(spurious) else { throw ProbityError.invalidArgument("--spurious must be in 0…1, got \(spurious)") }
        guard groundTruth == .shape || spurious > 0 else { throw ProbityError.invalidArgument("--ground-truth patch needs --spurious > 0 (there is no patch otherwise)") }
        if let f = testFraction, !(0...1).contains(f) { throw ProbityError.invalidArgument("--test-fraction must be in 0…1, got \(f)") }
        let writer = try DatasetWriter(path: path, height: size, width: size, channels: 3)
        for i in 0..<count {
            let s = sample(i)
            // Without a patch there is no patch box (the mask is empty: no ground truth).
            let boxes = groundTruth == .patch && !s.hasPatch ? [] : [s.box]
            try writer.append(pixels: s.pixels, label: s.label, mask: s.mask, boxes: boxes, split: testFraction == nil ? nil : s.split)
        }
        var description = "synthetic shapes: \(count) images of \(size)×\(size), seed \(seed)"
        if spurious > 0 { description += ", spurious class patch rate \(spurious)" }
        if groundTruth == .patch { description += ", ground truth = the patch" }
        try writer.finish(classNames: SyntheticShapes.classNames, preprocessing: Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1]),
                          description: description,
                          source: "probity dataset synth shapes --count \(count) --size \(size) --seed \(seed) --spurious \(spurious)" +
                            (testFraction.map { " --test-fraction \($0)" } ?? "") + (groundTruth == .patch ? " --ground-truth patch" : ""))
    }
}
