import Foundation

/// How a filter reads past the edge of an image, named as in `scipy.ndimage`:
/// `reflect` repeats the edge sample (d c b a | a b c d | d c b a), `mirror` does not
/// (d c b | a b c d | c b a), `nearest` repeats the edge value, `zero` reads zeros.
public enum BoundaryMode: String, Sendable, CaseIterable {
    case reflect, mirror, nearest, zero

    /// The in-range index that `i` reads, or nil for a zero.
    @inlinable public func index(_ i: Int, count n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .zero: return nil
        case .nearest: return i < 0 ? 0 : n - 1
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * n
            var k = i % period
            if k < 0 { k += period }
            return k < n ? k : period - 1 - k
        case .mirror:
            if n == 1 { return 0 }
            let period = 2 * n - 2
            var k = i % period
            if k < 0 { k += period }
            return k < n ? k : period - k
        }
    }
}

/// A sampled, normalized 1-D Gaussian as `scipy.ndimage.gaussian_filter1d` builds it:
/// radius = ⌊truncate·σ + 0.5⌋, weights exp(−x²/2σ²) divided by their sum.
public func gaussianKernel(sigma: Double, truncate: Double = 4) -> [Float] {
    guard sigma > 0 else { return [1] }
    let radius = Int(truncate * sigma + 0.5)
    let w = (-radius...radius).map { x in Foundation.exp(-0.5 * Double(x * x) / (sigma * sigma)) }
    let total = w.reduce(0, +)
    return w.map { Float($0 / total) }
}

/// A sampled Gaussian of a fixed odd size, as OpenCV's `getGaussianKernel(ksize, sigma)` and
/// torchvision's `gaussian_blur` build it (centered, normalized). The RISE reference code blurs
/// with kernel 11, σ 5.
public func gaussianKernel(size: Int, sigma: Double) -> [Float] {
    precondition(size > 0 && size % 2 == 1, "kernel size must be odd and positive")
    let r = size / 2
    let w = (-r...r).map { x in Foundation.exp(-0.5 * Double(x * x) / (sigma * sigma)) }
    let total = w.reduce(0, +)
    return w.map { Float($0 / total) }
}

/// The RISE reference code's blur kernel (`gkern` in eclique/RISE `evaluation.py`), one 1-D
/// factor of it: `scipy.ndimage.gaussian_filter` applied to a `size`-sample delta with its
/// defaults (mode `reflect`, truncate 4), so the radius-4σ Gaussian is folded back into the
/// `size` taps. At size 11, σ 5 it is nearly a box (edge/centre weight 0.94, against 0.61 for
/// the sampled Gaussian of `gaussianKernel(size:sigma:)`); it sums to 1. The reference applies
/// the 2-D kernel (the outer product of this factor with itself) per channel with
/// `conv2d(padding: size / 2)`, i.e. zero padding: use `BoundaryMode.zero`.
public func gaussianFilteredDeltaKernel(size: Int, sigma: Double) -> [Float] {
    precondition(size > 0 && size % 2 == 1, "kernel size must be odd and positive")
    let weights = gaussianKernel(sigma: sigma)
    let radius = weights.count / 2
    var out = [Double](repeating: 0, count: size)
    for i in 0..<size {
        for (k, wk) in weights.enumerated() where BoundaryMode.reflect.index(i + k - radius, count: size) == size / 2 { out[i] += Double(wk) }
    }
    return out.map { Float($0) }
}

extension Tensor {
    /// Separable correlation of the last two axes with `kernelY` (along H) and `kernelX`
    /// (along W), each of odd length, centered. Cost: O(elements × (|kx| + |ky|)).
    public func separableFiltered(kernelY: [Float], kernelX: [Float], boundary: BoundaryMode) -> Tensor {
        precondition(rank >= 2 && kernelX.count % 2 == 1 && kernelY.count % 2 == 1)
        let h = shape[rank - 2], w = shape[rank - 1]
        let planes = count / Swift.max(h * w, 1)
        var tmp = [Float](repeating: 0, count: count)
        let rx = kernelX.count / 2, ry = kernelY.count / 2
        // Precompute the source index of every tap at every position once per axis.
        let idxX: [[Int?]] = (0..<w).map { x in (-rx...rx).map { boundary.index(x + $0, count: w) } }
        let idxY: [[Int?]] = (0..<h).map { y in (-ry...ry).map { boundary.index(y + $0, count: h) } }
        storage.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(planes * h) {
                    let base = row * w
                    for x in 0..<w {
                        var acc: Float = 0
                        for (k, i) in idxX[x].enumerated() { if let i { acc += kernelX[k] * src[base + i] } }
                        dst[base + x] = acc
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: count)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<planes {
                    for y in 0..<h {
                        let d = (p * h + y) * w
                        for (k, i) in idxY[y].enumerated() {
                            guard let i else { continue }
                            let s = (p * h + i) * w
                            let wt = kernelY[k]
                            for x in 0..<w { dst[d + x] += wt * src[s + x] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// Gaussian blur of the last two axes with `scipy.ndimage.gaussian_filter` semantics
    /// (truncate 4σ; boundary `reflect` by default, as SciPy).
    public func gaussianBlurred(sigmaY: Double, sigmaX: Double, boundary: BoundaryMode = .reflect, truncate: Double = 4) -> Tensor {
        separableFiltered(kernelY: gaussianKernel(sigma: sigmaY, truncate: truncate),
                          kernelX: gaussianKernel(sigma: sigmaX, truncate: truncate), boundary: boundary)
    }

    /// Gaussian blur with equal σ on both axes.
    public func gaussianBlurred(sigma: Double, boundary: BoundaryMode = .reflect) -> Tensor {
        gaussianBlurred(sigmaY: sigma, sigmaX: sigma, boundary: boundary)
    }
}
