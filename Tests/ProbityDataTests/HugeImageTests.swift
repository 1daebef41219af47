import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// Image files whose headers declare enormous sizes (hostile or damaged) are refused by size,
/// naming the file, before any pixel buffer is allocated — not by the process aborting on a
/// multi-gigabyte allocation. Both formats, and the importer that reads them.
final class HugeImageTests: XCTestCase {
    /// CRC-32 as PNG chunks use it (ISO 3309, reflected, polynomial 0xEDB88320).
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }

    /// A PNG whose IHDR declares `width` × `height` RGB pixels (valid CRCs), with a token IDAT.
    func hugePNG(width: UInt32, height: UInt32) -> Data {
        let ihdr: [UInt8] = Array("IHDR".utf8) + bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += bigEndian(13) + ihdr + bigEndian(crc32(ihdr))
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C, 0x03, 0x00]
        bytes += bigEndian(4) + idat + bigEndian(crc32(idat))
        let iend: [UInt8] = Array("IEND".utf8)
        bytes += bigEndian(0) + iend + bigEndian(crc32(iend))
        return Data(bytes)
    }

    func testHugeDeclaredSizesAreRefusedBeforeAllocating() throws {
        let dir = try scratchDirectory()
        try hugePNG(width: 100_000, height: 100_000).write(to: URL(fileURLWithPath: dir + "/huge.png"))
        XCTAssertThrowsError(try ImageFile.read(dir + "/huge.png")) {
            XCTAssert("\($0)".contains("huge.png: declares 100000×100000 pixels"), "\($0)")
        }
        // The header alone still reads (the importer's first pass), and a small declared size passes the check.
        XCTAssertEqual(try PNGImage.header(of: dir + "/huge.png").width, 100_000)
        XCTAssertNoThrow(try PNGImage.checkSize(width: 16384, height: 8192, path: "x"))
        XCTAssertThrowsError(try PNGImage.checkSize(width: 16384, height: 8193, path: "x"))

        // A real JPEG with its frame header patched to 60000 × 60000.
        var jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("jpeg/rgb444_33x33.jpg"))))
        let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC0 || jpeg[$0 + 1] == 0xC2) })
        jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60; jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60   // height, width = 60000
        try Data(jpeg).write(to: URL(fileURLWithPath: dir + "/huge.jpg"))
        XCTAssertEqual(try JPEGImage.header(of: dir + "/huge.jpg").width, 60000)
        XCTAssertThrowsError(try ImageFile.read(dir + "/huge.jpg")) {
            XCTAssert("\($0)".contains("huge.jpg: declares 60000×60000 pixels"), "\($0)")
        }

        // Importing a folder with such a file stops with that line and writes nothing.
        try FileManager.default.createDirectory(atPath: dir + "/in/a", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/huge.png", toPath: dir + "/in/a/x.png")
        var importer = ImageFolderImporter(directory: dir + "/in")
        importer.size = 8
        XCTAssertThrowsError(try importer.run(output: dir + "/out.h5")) { XCTAssert("\($0)".contains("x.png: declares 100000×100000"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }
}
