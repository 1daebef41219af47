/// How pixels become model input: `input = pixel / 255 × scale[c] + offset[c]`, per channel,
/// as the dataset schema's `input_scale` and `input_offset` attributes say (DESIGN.md).
/// EfficientNet-Lite takes [-1, 1]: scale 2, offset -1. ImageNet mean/std normalization is
/// scale = 1/std, offset = −mean/std.
public struct Preprocessing: Sendable, Equatable, Codable {
    public var scale: [Float]
    public var offset: [Float]

    public init(scale: [Float], offset: [Float]) {
        precondition(scale.count == offset.count && !scale.isEmpty, "scale and offset need one value per channel")
        self.scale = scale
        self.offset = offset
    }

    /// Identity in [0, 1]: pixel / 255.
    public static func unit(channels: Int) -> Preprocessing {
        Preprocessing(scale: .init(repeating: 1, count: channels), offset: .init(repeating: 0, count: channels))
    }

    public var channels: Int { scale.count }

    /// The same preprocessing for `n` channels: a one-value preprocessing (`--scale 2 --offset -1`)
    /// repeated per channel; one that already has `n` channels unchanged.
    public func forChannels(_ n: Int) -> Preprocessing {
        channels == n ? self : Preprocessing(scale: .init(repeating: scale[0], count: n), offset: .init(repeating: offset[0], count: n))
    }

    /// uint8 pixels [N, H, W, C] (interleaved, as stored in datasets) → model input [N, C, H, W].
    public func modelInput(pixels: [UInt8], count n: Int, height h: Int, width w: Int) -> Tensor {
        let c = channels
        precondition(pixels.count == n * h * w * c, "pixel buffer does not match [\(n), \(h), \(w), \(c)]")
        var out = Tensor(shape: [n, c, h, w])
        let lut: [[Float]] = (0..<c).map { ch in (0..<256).map { Float($0) / 255 * scale[ch] + offset[ch] } }
        pixels.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for s in 0..<n {
                    for y in 0..<h {
                        for x in 0..<w {
                            let p = ((s * h + y) * w + x) * c
                            for ch in 0..<c { dst[((s * c + ch) * h + y) * w + x] = lut[ch][Int(src[p + ch])] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The model-input value of a pixel value (0…255) in channel `c`.
    public func input(pixel: Float, channel c: Int) -> Float { pixel / 255 * scale[c] + offset[c] }

    /// The pixel value (0…255) of a model-input value in channel `c`.
    public func pixel(input: Float, channel c: Int) -> Float { (input - offset[c]) / scale[c] * 255 }
}
