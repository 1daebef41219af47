import Foundation

/// How to resize an image.
///
/// - `bilinear`: linear interpolation with half-pixel centers and edge clamping, no prefilter
///   (scikit-image `resize(order=1, anti_aliasing=False, mode="edge")`, PyTorch
///   `interpolate(mode="bilinear", align_corners=False)`). Aliases when shrinking a lot.
/// - `bicubic`: Keys cubic convolution with a = −0.5, its support widened by the scale factor
///   when shrinking, taps renormalized at the borders (Pillow's `Image.BICUBIC`).
/// - `area`: exact box averaging over the footprint of each output pixel (Pillow's `Image.BOX`,
///   OpenCV's `INTER_AREA` when shrinking).
/// - `antialiased`: scikit-image's default `resize(anti_aliasing=True)`: a Gaussian prefilter with
///   σ = max(0, (factor − 1)/2) per axis (boundary `mirror`, truncated at 4σ), then linear
///   interpolation with the same mirrored boundary.
///   The default, because the EfficientNet parity fixture was made with it.
public enum ResizeMethod: String, Sendable, CaseIterable {
    case bilinear, bicubic, area, antialiased
}

/// Sparse 1-D resampling weights: output index `o` reads `count[o]` inputs from `start[o]`.
/// Resizing is separable, so a 2-D resize is two passes of these.
struct ResampleTaps {
    var start: [Int] = []
    var weights: [[Float]] = []

    /// Linear interpolation with half-pixel centers; past the edge, positions are clamped
    /// (`mirror == false`, scikit-image mode "edge") or mirrored about the edge sample
    /// (`mirror == true`, scikit-image's default mode "reflect", SciPy "mirror").
    static func linear(input n: Int, output m: Int, mirror: Bool = false) -> ResampleTaps {
        var taps = ResampleTaps()
        let scale = Double(n) / Double(m)
        for o in 0..<m {
            var x = (Double(o) + 0.5) * scale - 0.5
            if mirror && n > 1 {
                if x < 0 { x = -x }
                if x > Double(n - 1) { x = 2 * Double(n - 1) - x }
            }
            x = Swift.min(Swift.max(x, 0), Double(n - 1))
            let i0 = Int(x.rounded(.down))
            let frac = Float(x - Double(i0))
            if i0 + 1 < n && frac > 0 {
                taps.start.append(i0)
                taps.weights.append([1 - frac, frac])
            } else {
                taps.start.append(i0)
                taps.weights.append([1])
            }
        }
        return taps
    }

    /// Pillow's convolution resampling (`precompute_coeffs` in Resample.c): a kernel of
    /// `support` widened by the scale when shrinking, truncated at the borders and renormalized.
    static func convolution(input n: Int, output m: Int, support: Double, kernel: (Double) -> Double) -> ResampleTaps {
        var taps = ResampleTaps()
        let scale = Double(n) / Double(m)
        let filterScale = Swift.max(scale, 1)
        let widened = support * filterScale
        for o in 0..<m {
            let center = (Double(o) + 0.5) * scale
            let lo = Swift.max(Int(center - widened + 0.5), 0)
            let hi = Swift.min(Int(center + widened + 0.5), n)
            var w: [Double] = []
            var total = 0.0
            if hi > lo {
                for x in lo..<hi {
                    let v = kernel((Double(x) - center + 0.5) / filterScale)
                    w.append(v)
                    total += v
                }
            }
            taps.start.append(lo)
            taps.weights.append(w.map { Float(total != 0 ? $0 / total : $0) })
        }
        return taps
    }

    static func cubic(input n: Int, output m: Int) -> ResampleTaps {
        convolution(input: n, output: m, support: 2) { t in
            let a = -0.5
            let x = abs(t)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }

    static func box(input n: Int, output m: Int) -> ResampleTaps {
        convolution(input: n, output: m, support: 0.5) { x in (x > -0.5 && x <= 0.5) ? 1 : 0 }
    }
}

/// Applies 1-D taps along the last axis (`horizontal`) or the second-to-last axis of planes.
enum Separable {
    /// planes × h × w → planes × h × m, with `taps` along w.
    static func rows(_ input: [Float], planes: Int, h: Int, w: Int, taps: ResampleTaps) -> [Float] {
        let m = taps.start.count
        var out = [Float](repeating: 0, count: planes * h * m)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(planes * h) {
                    let s = row * w
                    let d = row * m
                    for o in 0..<m {
                        var acc: Float = 0
                        let start = taps.start[o]
                        for (k, wt) in taps.weights[o].enumerated() { acc += wt * src[s + start + k] }
                        dst[d + o] = acc
                    }
                }
            }
        }
        return out
    }

    /// planes × h × w → planes × m × w, with `taps` along h.
    static func columns(_ input: [Float], planes: Int, h: Int, w: Int, taps: ResampleTaps) -> [Float] {
        let m = taps.start.count
        var out = [Float](repeating: 0, count: planes * m * w)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<planes {
                    for o in 0..<m {
                        let d = (p * m + o) * w
                        let start = taps.start[o]
                        for (k, wt) in taps.weights[o].enumerated() {
                            let s = (p * h + start + k) * w
                            for x in 0..<w { dst[d + x] += wt * src[s + x] }
                        }
                    }
                }
            }
        }
        return out
    }
}

extension Tensor {
    /// Resizes the last two axes (H, W) of a tensor of rank ≥ 2 to `height` × `width`.
    /// Cost: O(planes × output pixels × taps).
    public func resized(height: Int, width: Int, method: ResizeMethod = .antialiased) -> Tensor {
        precondition(rank >= 2 && height > 0 && width > 0, "resize needs [..., H, W] and a positive size")
        let h = shape[rank - 2], w = shape[rank - 1]
        let planes = count / Swift.max(h * w, 1)
        var data = storage
        var source = self
        if method == .antialiased {
            let sy = Swift.max(0, (Double(h) / Double(height) - 1) / 2)
            let sx = Swift.max(0, (Double(w) / Double(width) - 1) / 2)
            if sy > 0 || sx > 0 {
                source = source.gaussianBlurred(sigmaY: sy, sigmaX: sx, boundary: .mirror)
                data = source.storage
            }
        }
        let tapsX: ResampleTaps, tapsY: ResampleTaps
        switch method {
        case .bilinear:
            tapsX = .linear(input: w, output: width); tapsY = .linear(input: h, output: height)
        case .antialiased:
            tapsX = .linear(input: w, output: width, mirror: true)
            tapsY = .linear(input: h, output: height, mirror: true)
        case .bicubic:
            tapsX = .cubic(input: w, output: width); tapsY = .cubic(input: h, output: height)
        case .area:
            tapsX = .box(input: w, output: width); tapsY = .box(input: h, output: height)
        }
        data = Separable.rows(data, planes: planes, h: h, w: w, taps: tapsX)
        data = Separable.columns(data, planes: planes, h: h, w: width, taps: tapsY)
        var newShape = shape
        newShape[rank - 2] = height
        newShape[rank - 1] = width
        return Tensor(shape: newShape, storage: data)
    }
}
