import Foundation
import XCTest
import ProbityData

/// `probity dataset import-images` says what it did to the images — alpha dropped, gray made
/// RGB or RGB made gray, non-square images stretched, files it cannot read skipped, an
/// all-grayscale folder kept as one channel — with counts and file names; `--channels`
/// converts as Pillow's `convert("RGB")` / `convert("L")` do.
final class ImportSummaryCommandTests: XCTestCase {
    func writePNG(_ path: String, width: Int, height: Int, channels: Int, pixels: [UInt8]? = nil) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let px = pixels ?? (0..<(width * height * channels)).map { UInt8(($0 * 37) % 256) }
        try PNGImage(width: width, height: height, channels: channels, pixels: px).write(to: path)
    }

    /// An 8-bit RGBA PNG (color type 6), written byte by byte: PNGImage writes only gray and RGB.
    func writeRGBA(_ path: String, width: Int, height: Int) throws {
        let r = try CLI.python("""
        import sys, zlib, struct
        path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        raw = b''.join(b'\\x00' + bytes((x * 40 + y + c * 7) % 256 for x in range(w) for c in range(4)) for y in range(h))
        def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
        open(path, 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
                               + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
        """, [path, "\(width)", "\(height)"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testEveryChangeIsNamedInTheSummary() throws {
        let dir = try CLI.scratch()
        try writePNG(dir + "/in/cat/wide.png", width: 8, height: 6, channels: 3)
        try writeRGBA(dir + "/in/cat/with_alpha.png", width: 6, height: 6)
        try writePNG(dir + "/in/dog/gray.png", width: 6, height: 6, channels: 1)
        try FileManager.default.copyItem(atPath: CLI.repository.path + "/Tests/Fixtures/jpeg/rgb420_37x29.jpg", toPath: dir + "/in/dog/photo.jpg")
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: dir + "/in/dog/anim.gif"))
        let r = try CLI.run(["dataset", "import-images", dir + "/in", "--out", dir + "/d.h5", "--size", "4", "--crop", "none", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), [
            "note: alpha channel dropped (not composited, as Pillow's convert(\"RGB\")) from 1 file (cat/with_alpha.png)",
            "note: grayscale replicated to 3 channels in 1 file (dog/gray.png)",
            "note: stretched to 4×4 (aspect ratio not kept, because of --crop none; --crop center keeps it): 2 files (cat/wide.png, dog/photo.jpg)",
            "note: skipped (neither PNG nor JPEG; convert them to one of those): 1 file (dog/anim.gif)",
        ])
        let d = try Dataset(path: dir + "/d.h5")
        XCTAssertEqual([d.count, d.height, d.width, d.channels], [4, 4, 4, 3])

        // More skipped files than are named: the first three, then "…".
        for k in 1...5 { try Data("RIFF".utf8).write(to: URL(fileURLWithPath: dir + "/in/cat/p\(k).WEBP")) }
        let many = try CLI.run(["dataset", "import-images", dir + "/in", "--out", dir + "/e.h5", "--size", "4"])
        XCTAssertEqual(many.status, 0, many.stderr)
        XCTAssert(many.stdout.contains("wrote 4 images of 4×4×3 to \(dir)/e.h5"), many.stdout)
        XCTAssert(many.stdout.contains("convert them to one of those): 6 files (cat/p1.WEBP, cat/p2.WEBP, cat/p3.WEBP, …)"), many.stdout)
        XCTAssertFalse(many.stdout.contains("stretched"), "--crop center keeps the aspect ratio: \(many.stdout)")
    }

    func testGrayscaleFolderAndChannelConversion() throws {
        let dir = try CLI.scratch()
        try writePNG(dir + "/gray/a/one.png", width: 2, height: 2, channels: 1, pixels: [0, 60, 128, 255])
        try writePNG(dir + "/gray/b/two.png", width: 2, height: 2, channels: 1, pixels: [9, 9, 9, 9])
        var r = try CLI.run(["dataset", "import-images", dir + "/gray", "--out", dir + "/g1.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("note: all 2 images are grayscale: the dataset has 1 channel (give --channels 3 for a model that takes RGB)"), r.stdout)
        XCTAssertEqual(try Dataset(path: dir + "/g1.h5").channels, 1)

        // Gray → RGB: each value repeated (Pillow's convert("RGB")).
        r = try CLI.run(["dataset", "import-images", dir + "/gray", "--out", dir + "/g3.h5", "--channels", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("note: grayscale replicated to 3 channels in 2 files (a/one.png, b/two.png)"), r.stdout)
        let g3 = try Dataset(path: dir + "/g3.h5")
        XCTAssertEqual(g3.channels, 3)
        XCTAssertEqual(try g3.pixels(0..<1), [0, 0, 0, 60, 60, 60, 128, 128, 128, 255, 255, 255])

        // RGB → gray: Pillow's convert("L") = (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, i.e.
        // R·299/1000 + G·587/1000 + B·114/1000 rounded: red 255 → 76, green 255 → 150 (truncating
        // 149.685 would give 149), blue 255 → 29, (100, 150, 200) → 141 (140.75 rounded).
        try writePNG(dir + "/rgb/x/c.png", width: 2, height: 2, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 150, 200])
        r = try CLI.run(["dataset", "import-images", dir + "/rgb", "--out", dir + "/l.h5", "--channels", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("note: RGB converted to gray (ITU-R 601 luma, as Pillow's convert(\"L\")) in 1 file (x/c.png)"), r.stdout)
        let l = try Dataset(path: dir + "/l.h5")
        XCTAssertEqual(l.channels, 1)
        XCTAssertEqual(try l.pixels(0..<1), [76, 150, 29, 141])

        r = try CLI.run(["dataset", "import-images", dir + "/rgb", "--out", dir + "/bad.h5", "--channels", "2"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: --channels must be 1 (gray) or 3 (RGB), got 2\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.h5"))

        // A folder of TIFFs only: the error says why nothing was found.
        try FileManager.default.createDirectory(atPath: dir + "/tiffs/a", withIntermediateDirectories: true)
        try Data([0x49, 0x49, 0x2A, 0x00]).write(to: URL(fileURLWithPath: dir + "/tiffs/a/x.tif"))
        r = try CLI.run(["dataset", "import-images", dir + "/tiffs", "--out", dir + "/j.h5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "probity: error: \(dir)/tiffs: no PNG or JPEG images in the folder or its class subfolders (1 file in formats Probity does not read, e.g. a/x.tif; convert them to PNG or JPEG)\n")
    }
}
