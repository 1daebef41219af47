import CPNG
import Foundation
import ProbityCore

/// An 8-bit image with interleaved channels (1 = gray, 3 = RGB), row-major [H, W, C], as
/// stored in datasets. Read and written with libpng's simplified `png_image_*` API, which
/// reports errors by return codes, so libpng's `longjmp` never crosses Swift frames.
///
/// Reading follows what Pillow's `Image.open(...).convert("RGB" | "L")` gives users:
/// palette images are expanded, alpha is dropped (not composited), 16-bit samples are scaled
/// to 8 bits by rounding v·255/65535 (libpng treats 16-bit data as linear; it is read as is).
public struct PNGImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "PNGImage holds gray or RGB")
        precondition(pixels.count == width * height * channels, "pixel count does not match \(height)×\(width)×\(channels)")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// Reads a PNG file as gray (when the file has no color) or RGB.
    /// The most pixels an image file may declare (2²⁷, e.g. 16384 × 8192): a header that claims
    /// more is refused before anything is allocated, so a hostile or damaged file cannot make
    /// the process abort on a failed multi-gigabyte allocation.
    public static let maxPixels = 1 << 27

    /// Refuses declared sizes that are empty or larger than `maxPixels`, naming the file.
    static func checkSize(width: Int, height: Int, path: String) throws {
        guard width > 0, height > 0 else { throw ProbityError.badFile(path, "declares an empty image (\(width)×\(height))") }
        guard width.multipliedReportingOverflow(by: height).partialValue <= maxPixels, width <= maxPixels, height <= maxPixels else {
            throw ProbityError.badFile(path, "declares \(width)×\(height) pixels, more than the \(maxPixels) Probity reads (a damaged header, or an image to downscale first)")
        }
    }

    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw PNGImage.failure(path, &image, "not a readable PNG")
        }
        defer { png_image_free(&image) }
        try PNGImage.checkSize(width: Int(image.width), height: Int(image.height), path: path)
        let sourceFormat = image.format
        let color = sourceFormat & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let alpha = sourceFormat & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let linear = sourceFormat & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        var format = UInt32(0)
        if color { format |= UInt32(PNG_FORMAT_FLAG_COLOR) }
        if alpha { format |= UInt32(PNG_FORMAT_FLAG_ALPHA) }
        if linear { format |= UInt32(PNG_FORMAT_FLAG_LINEAR) }
        image.format = format
        let w = Int(image.width), h = Int(image.height)
        let stored = (color ? 3 : 1) + (alpha ? 1 : 0)
        let keep = color ? 3 : 1
        var out = [UInt8](repeating: 0, count: w * h * keep)
        if linear {
            var buffer = [UInt16](repeating: 0, count: w * h * stored)
            let ok = buffer.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw PNGImage.failure(path, &image, "corrupt or truncated PNG data") }
            for p in 0..<(w * h) {
                for c in 0..<keep {
                    out[p * keep + c] = UInt8((UInt32(buffer[p * stored + c]) * 255 + 32767) / 65535)
                }
            }
        } else {
            var buffer = [UInt8](repeating: 0, count: w * h * stored)
            let ok = buffer.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw PNGImage.failure(path, &image, "corrupt or truncated PNG data") }
            if stored == keep {
                out = buffer
            } else {
                for p in 0..<(w * h) { for c in 0..<keep { out[p * keep + c] = buffer[p * stored + c] } }
            }
        }
        self.init(width: w, height: h, channels: keep, pixels: out)
    }

    /// Width, height, whether the file has color and whether it has an alpha channel (which
    /// reading drops), from the header alone (no pixel decoding).
    public static func header(of path: String) throws -> (width: Int, height: Int, color: Bool, alpha: Bool) {
        guard FileManager.default.fileExists(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else { throw PNGImage.failure(path, &image, "not a readable PNG") }
        defer { png_image_free(&image) }
        return (Int(image.width), Int(image.height), image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0, image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0)
    }

    /// The image with `channels` channels, as Pillow's `convert`: gray → RGB repeats the value
    /// (`convert("RGB")`); RGB → gray is ITU-R 601-2 luma, L = R·299/1000 + G·587/1000 +
    /// B·114/1000, computed as Pillow's `rgb2l` does in 16-bit fixed point with rounding,
    /// (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16 (`convert("L")`; e.g. pure green 255 → 150,
    /// where truncating 255·0.587 would give 149).
    public func converted(channels target: Int) -> PNGImage {
        precondition(target == 1 || target == 3, "PNGImage holds gray or RGB")
        if target == channels { return self }
        let n = width * height
        var px = [UInt8](repeating: 0, count: n * target)
        if target == 3 {
            for p in 0..<n { let v = pixels[p]; px[3 * p] = v; px[3 * p + 1] = v; px[3 * p + 2] = v }
        } else {
            for p in 0..<n {
                let r = UInt32(pixels[3 * p]), g = UInt32(pixels[3 * p + 1]), b = UInt32(pixels[3 * p + 2])
                px[p] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        return PNGImage(width: width, height: height, channels: target, pixels: px)
    }

    static func failure(_ path: String, _ image: inout png_image, _ what: String) -> ProbityError {
        let message = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .badFile(path, message.isEmpty ? what : "\(what): \(message)")
    }

    /// Writes an 8-bit gray or RGB PNG, atomically (temporary file, then rename).
    public func write(to path: String) throws {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let temporary = path + ".tmp-\(getpid())"
        let ok = pixels.withUnsafeBytes { png_image_write_to_file(&image, temporary, 0, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            let error = PNGImage.failure(path, &image, "cannot write PNG")
            png_image_free(&image)
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        png_image_free(&image)
        try AtomicFile.commit(temporary: temporary, to: path)
    }

    /// The image as a float tensor [C, H, W] of pixel values 0…255.
    public var planes: Tensor {
        var t = Tensor(shape: [channels, height, width])
        for y in 0..<height { for x in 0..<width { for c in 0..<channels {
            t.storage[(c * height + y) * width + x] = Float(pixels[(y * width + x) * channels + c])
        } } }
        return t
    }

    /// An image from float planes [C, H, W] of pixel values, rounded and clamped to 0…255.
    public init(planes t: Tensor) {
        precondition(t.rank == 3 && (t.shape[0] == 1 || t.shape[0] == 3), "planes must be [1 or 3, H, W]")
        let c = t.shape[0], h = t.shape[1], w = t.shape[2]
        var px = [UInt8](repeating: 0, count: c * h * w)
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            px[(y * w + x) * c + ch] = UInt8(Swift.min(255, Swift.max(0, t.storage[(ch * h + y) * w + x].rounded())))
        } } }
        self.init(width: w, height: h, channels: c, pixels: px)
    }

    /// The image enlarged by a whole factor, each pixel repeated `factor` × `factor` times
    /// (nearest neighbour), for figures of small images.
    public func enlarged(by factor: Int) -> PNGImage {
        guard factor > 1 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * channels * factor * factor)
        let wide = width * factor
        for y in 0..<(height * factor) {
            for x in 0..<wide {
                let source = ((y / factor) * width + x / factor) * channels
                for c in 0..<channels { out[(y * wide + x) * channels + c] = pixels[source + c] }
            }
        }
        return PNGImage(width: wide, height: height * factor, channels: channels, pixels: out)
    }

    /// The centered square (side = the shorter edge), as torchvision's `CenterCrop` at that size:
    /// offset ⌊(W − side)/2⌋ (torchvision rounds the offset, which differs by one for odd gaps;
    /// Probity takes the floor, as NumPy slicing `x[(W-s)//2:][:s]` does).
    public func centerSquare() -> PNGImage {
        let side = Swift.min(width, height)
        let x0 = (width - side) / 2, y0 = (height - side) / 2
        var px = [UInt8](repeating: 0, count: side * side * channels)
        for y in 0..<side {
            let src = ((y0 + y) * width + x0) * channels
            px.replaceSubrange((y * side * channels)..<((y + 1) * side * channels), with: pixels[src..<(src + side * channels)])
        }
        return PNGImage(width: side, height: side, channels: channels, pixels: px)
    }
}
