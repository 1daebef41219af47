import XCTest
import Foundation
import ProbityCore
@testable import ProbityData

/// PNG decoding against arrays that Pillow wrote and decoded (Tests/Fixtures/png, made by
/// Tests/Fixtures/recipes/make_image_fixtures.py).
final class PNGTests: XCTestCase {
    func testEveryPixelFormatDecodesAsPillowDoes() throws {
        let expected = try HDF5File(path: Fixtures.path("png/expected.h5"))
        for (name, channels) in [("rgb8", 3), ("gray8", 1), ("rgba8", 3), ("graya8", 1), ("palette", 3), ("gray16", 1), ("rgb16", 3)] {
            let image = try PNGImage(contentsOf: Fixtures.path("png/\(name).png"))
            XCTAssertEqual(image.channels, channels, name)
            XCTAssertEqual([image.height, image.width], [11, 13], name)
            XCTAssertEqual(image.pixels, try expected.read("/\(name)", as: UInt8.self), name)
        }
    }

    func testWriteReadRoundTrip() throws {
        let dir = try scratchDirectory()
        var rng = RNG(seed: 5)
        for channels in [1, 3] {
            let pixels = (0..<(9 * 7 * channels)).map { _ in UInt8(rng.int(below: 256)) }
            let image = PNGImage(width: 7, height: 9, channels: channels, pixels: pixels)
            try image.write(to: dir + "/x.png")
            XCTAssertEqual(try PNGImage(contentsOf: dir + "/x.png"), image)
        }
    }

    func testCorruptTruncatedAndMissingFilesGiveErrors() throws {
        let dir = try scratchDirectory()
        let good = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("png/rgb8.png")))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.png"))
        try Data("this is not a png".utf8).write(to: URL(fileURLWithPath: dir + "/text.png"))
        var flipped = good
        flipped[good.count / 2] ^= 0xFF   // damages the compressed data (CRC or zlib error)
        try flipped.write(to: URL(fileURLWithPath: dir + "/flipped.png"))
        assertBadInput(try PNGImage(contentsOf: dir + "/truncated.png"), file: dir + "/truncated.png", mentions: "PNG")
        assertBadInput(try PNGImage(contentsOf: dir + "/text.png"), file: dir + "/text.png", mentions: "PNG")
        assertBadInput(try PNGImage(contentsOf: dir + "/flipped.png"), file: dir + "/flipped.png", mentions: "PNG")
        assertBadInput(try PNGImage(contentsOf: dir + "/missing.png"), file: dir + "/missing.png", mentions: "no such file")
    }

    func testCenterSquareTakesTheMiddle() {
        let image = PNGImage(width: 5, height: 2, channels: 1, pixels: [0, 1, 2, 3, 4, 10, 11, 12, 13, 14])
        XCTAssertEqual(image.centerSquare().pixels, [1, 2, 11, 12])
    }
}
