import Foundation
import ProbityCore
import ProbityEngine

/// Uniform random maps from the sample's stream: what any method must beat.
public struct RandomMap: Explainer {
    public static let name = "random"
    public var seeded: Bool { true }
    public static let summary = "Uniform random map (control)"
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        var maps = Tensor(shape: [batch.count, batch.height, batch.width])
        let plane = batch.height * batch.width
        for s in 0..<batch.count {
            var rng = batch.rng(s, id)
            for i in 0..<plane { maps.storage[s * plane + i] = rng.uniform() }
        }
        return Attribution(maps: maps)
    }
}

/// Sobel edge magnitude of the channel-mean image (reflect border): a model-independent
/// control that often looks plausible (Adebayo et al. 2018 show edge detectors pass visual
/// inspection).
public struct SobelEdges: Explainer {
    public static let name = "sobel"
    public static let summary = "Sobel edge magnitude of the image (model-independent control; Adebayo et al. 2018)"
    public static let optionSpecs: [OptionSpec] = []
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (c, h, w) = (batch.channels, batch.height, batch.width)
        var maps = Tensor(shape: [batch.count, h, w])
        for s in 0..<batch.count {
            var gray = [Float](repeating: 0, count: h * w)
            for ch in 0..<c { for i in 0..<(h * w) { gray[i] += batch.x.storage[(s * c + ch) * h * w + i] / Float(c) } }
            func at(_ y: Int, _ x: Int) -> Float {
                let yy = y < 0 ? -y - 1 : (y >= h ? 2 * h - y - 1 : y), xx = x < 0 ? -x - 1 : (x >= w ? 2 * w - x - 1 : x)
                return gray[yy * w + xx]
            }
            for y in 0..<h { for x in 0..<w {
                let gx = (at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1)) - (at(y - 1, x - 1) + 2 * at(y, x - 1) + at(y + 1, x - 1))
                let gy = (at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1)) - (at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1))
                maps.storage[s * h * w + y * w + x] = (gx * gx + gy * gy).squareRoot()
            } }
        }
        return Attribution(maps: maps)
    }
}

/// A centered Gaussian, σ = `sigma` × the shorter side: the center-bias control.
public struct CenteredGaussian: Explainer {
    public static let name = "center_gaussian"
    public static let summary = "Centered Gaussian blob (center-bias control)"
    public static let optionSpecs: [OptionSpec] = [OptionSpec("sigma", default: "0.25", .double(0.001...10), "σ as a fraction of the shorter side")]
    public let options: Options
    public init(options: Options) throws { self.options = options }
    public func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
        let (h, w) = (batch.height, batch.width)
        let sigma = Float(options.double("sigma")) * Float(min(h, w))
        var one = [Float](repeating: 0, count: h * w)
        for y in 0..<h { for x in 0..<w {
            let dy = Float(y) + 0.5 - Float(h) / 2, dx = Float(x) + 0.5 - Float(w) / 2
            one[y * w + x] = expf(-(dx * dx + dy * dy) / (2 * sigma * sigma))
        } }
        var maps = Tensor(shape: [batch.count, h, w])
        for s in 0..<batch.count { maps.storage.replaceSubrange((s * h * w)..<((s + 1) * h * w), with: one) }
        return Attribution(maps: maps)
    }
}
