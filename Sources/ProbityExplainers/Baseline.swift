import Foundation
import ProbityCore

/// Reference inputs, named the same in every explainer and metric:
/// - `black`: pixel value 0, converted through the dataset's preprocessing;
/// - `zero`: 0 in the model's input space (Captum's default; the mean color under ImageNet
///   normalization, mid-gray under [−1, 1] scaling);
/// - `mean`: the image's mean color per channel;
/// - `blur`: the image blurred as the RISE reference code starts insertion (eclique/RISE
///   `evaluation.py`: `gkern(11, 5)` = `scipy.ndimage.gaussian_filter` of an 11 × 11 delta at
///   σ 5, nearly a box, applied per channel by `conv2d` with zero padding, so the border darkens
///   towards 0 in the model's input space);
/// - `blur_sampled`: a sampled Gaussian, kernel 11, σ 5 (OpenCV's `getGaussianKernel`), with
///   reflected borders — Probity's `blur` before issue 14;
/// - `noise`: uniform noise over the pixel range, from the sample's random stream;
/// - a `.png` path: that image, resized (bilinear) to the input size.
public enum Baseline {
    public static let named = ["black", "zero", "mean", "blur", "blur_sampled", "noise"]

    /// Checks a superpixel fill option (LIME's `hide`, KernelSHAP's `background`): a baseline
    /// name, a .png file, or `superpixel_mean`.
    static func checkFill(_ value: String, option: String, explainer: String) throws {
        guard value == "superpixel_mean" || named.contains(value) || value.hasSuffix(".png") else {
            throw ProbityError.invalidArgument("\(explainer): \(option) must be superpixel_mean or a baseline (\(named.joined(separator: ", ")), a .png), got \(value)")
        }
    }

    /// The baseline for image `x` [1, C, H, W] (model input space).
    public static func make(_ name: String, for x: Tensor, preprocessing: Preprocessing, rng: inout RNG) throws -> Tensor {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let plane = h * w
        var out = Tensor(shape: x.shape)
        switch name {
        case "zero":
            break
        case "black":
            for ch in 0..<c { let v = preprocessing.input(pixel: 0, channel: ch % preprocessing.channels); for i in 0..<plane { out.storage[ch * plane + i] = v } }
        case "mean":
            for ch in 0..<c {
                let m = x.storage[(ch * plane)..<((ch + 1) * plane)].reduce(0, +) / Float(plane)
                for i in 0..<plane { out.storage[ch * plane + i] = m }
            }
        case "blur":
            let k = gaussianFilteredDeltaKernel(size: 11, sigma: 5)
            out = x.separableFiltered(kernelY: k, kernelX: k, boundary: .zero)
        case "blur_sampled":
            out = x.separableFiltered(kernelY: gaussianKernel(size: 11, sigma: 5), kernelX: gaussianKernel(size: 11, sigma: 5), boundary: .reflect)
        case "noise":
            for ch in 0..<c { for i in 0..<plane { out.storage[ch * plane + i] = preprocessing.input(pixel: rng.uniform(0, 255), channel: ch % preprocessing.channels) } }
        default:
            guard name.hasSuffix(".png") else { throw ProbityError.invalidArgument("unknown baseline \(name); use \(named.joined(separator: ", ")) or a .png file") }
            let image = try PNGBaseline.load(name, channels: c)
            let t = Tensor(shape: [1, c, image.height, image.width], storage: image.planes).resized(height: h, width: w, method: .bilinear)
            for ch in 0..<c { for i in 0..<plane { out.storage[ch * plane + i] = preprocessing.input(pixel: t.storage[ch * plane + i], channel: ch % preprocessing.channels) } }
        }
        return out
    }
}

/// Loading image baselines lives behind a hook so this module needs no PNG code of its own;
/// the harness installs a loader (ProbityData's PNG reader).
public enum PNGBaseline {
    public struct Image: Sendable { public var width: Int; public var height: Int; public var planes: [Float]
        public init(width: Int, height: Int, planes: [Float]) { self.width = width; self.height = height; self.planes = planes } }
    nonisolated(unsafe) public static var loader: ((String, Int) throws -> Image)? = nil

    static func load(_ path: String, channels: Int) throws -> Image {
        guard let loader else { throw ProbityError.unsupported("image baselines need the PNG loader (set by the probity CLI)") }
        return try loader(path, channels)
    }
}
