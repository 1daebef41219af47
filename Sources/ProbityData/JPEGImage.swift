import CJPEG
import Foundation
import ProbityCore

/// JPEG files, decoded with libjpeg-turbo as Pillow decodes them (`Image.open(...)` then
/// `convert("RGB" | "L")`): accurate integer IDCT, fancy (smooth) chroma upsampling, gray files
/// as one channel, color as RGB. Like Pillow, the EXIF orientation is not applied (users of
/// torchvision's `ImageFolder` get the stored pixels), a truncated file is an error, and other
/// libjpeg warnings are not. CMYK files are refused with a clear error.
///
/// The decoded image is held in a `PNGImage`, the project's 8-bit gray/RGB pixel container.
public enum JPEGImage {
    /// Whether `data` starts like a JPEG file (SOI marker FF D8 FF).
    public static func isJPEG(_ data: Data) -> Bool { data.count >= 3 && data.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF]) }

    /// Width, height and stored channels (1 gray, 3 color, 4 CMYK) from the header alone.
    public static func header(of path: String) throws -> (width: Int, height: Int, channels: Int) {
        try header(read(path), path: path, failure: "not a readable JPEG")
    }

    /// The header of JPEG bytes; a failure is reported as `failure (libjpeg's message)`.
    static func header(_ data: Data, path: String, failure: String) throws -> (width: Int, height: Int, channels: Int) {
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { raw in
            probity_jpeg_header(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &w, &h, &c, &message, message.count)
        }
        guard status == 0 else { throw ProbityError.badFile(path, "\(failure) (\(JPEGImage.text(message)))") }
        return (Int(w), Int(h), Int(c))
    }

    /// Decodes the JPEG file at `path`.
    public static func decode(contentsOf path: String) throws -> PNGImage {
        let data = try read(path)
        let (w, h, c) = try header(data, path: path, failure: "corrupt or truncated JPEG data")
        guard c != 4 else { throw ProbityError.badFile(path, "is a CMYK JPEG, which is not supported (convert it to RGB first)") }
        try PNGImage.checkSize(width: w, height: h, path: path)
        var pixels = [UInt8](repeating: 0, count: w * h * c)
        var message = [CChar](repeating: 0, count: 256)
        let capacity = pixels.count
        let status = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { out in
                probity_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, out.baseAddress, capacity, &message, message.count)
            }
        }
        guard status == 0 else { throw ProbityError.badFile(path, "corrupt or truncated JPEG data (\(JPEGImage.text(message)))") }
        return PNGImage(width: w, height: h, channels: c, pixels: pixels)
    }

    /// libjpeg's message from its NUL-terminated buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func read(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "cannot be read") }
        return data
    }
}

/// Image files the importers read: PNG or JPEG, told apart by their first bytes (not the
/// file name), as gray or RGB pixels.
public enum ImageFile {
    /// File name extensions the importers pick up (lower case).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]

    /// Whether a file name has one of `extensions`.
    public static func isImageName(_ name: String) -> Bool { extensions.contains((name as NSString).pathExtension.lowercased()) }

    /// Size and color of a PNG or JPEG from its header (JPEG has no alpha).
    public static func header(of path: String) throws -> (width: Int, height: Int, color: Bool, alpha: Bool) {
        if JPEGImage.isJPEG(try head(path)) {
            let h = try JPEGImage.header(of: path)
            return (h.width, h.height, h.channels != 1, false)
        }
        return try PNGImage.header(of: path)
    }

    /// The first bytes of a file (which tell the format), or an error naming it.
    static func head(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path), let handle = FileHandle(forReadingAtPath: path) else {
            throw ProbityError.badFile(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)) ?? Data()
    }

    /// Reads a PNG or JPEG file.
    public static func read(_ path: String) throws -> PNGImage {
        let head = try head(path)
        return JPEGImage.isJPEG(head) ? try JPEGImage.decode(contentsOf: path) : try PNGImage(contentsOf: path)
    }

    /// Whether the file holds color (3 channels) without decoding it.
    public static func isColor(_ path: String) throws -> Bool {
        let head = try head(path)
        return JPEGImage.isJPEG(head) ? try JPEGImage.header(of: path).channels != 1 : try PNGImage.header(of: path).color
    }
}
