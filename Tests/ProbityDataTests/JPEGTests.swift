import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// JPEG decoding against Pillow: every pixel of files in each chroma layout, progressive,
/// grayscale and with partial MCUs equals what Pillow 13 (its bundled libjpeg-turbo 3.2)
/// decodes (`Tests/Fixtures/jpeg`, made by `recipes/make_jpeg_fixture.py`); a truncated file
/// is refused as Pillow refuses it, and the format is told by content, not by name.
final class JPEGTests: XCTestCase {
    func testDecodesExactlyAsPillow() throws {
        let decoded = try HDF5File(path: Fixtures.path("jpeg/decoded.h5"))
        let names = ["rgb420_37x29.jpg", "rgb422_40x24.jpg", "rgb444_33x33.jpg", "progressive_50x41.jpg", "gray_31x17.jpg"]
        for name in names {
            let expected = try decoded.read("/" + name, as: UInt8.self)
            let shape = try decoded.info("/" + name).shape
            let image = try ImageFile.read(Fixtures.path("jpeg/" + name))
            XCTAssertEqual([image.height, image.width, image.channels], shape, name)
            let differ = zip(image.pixels, expected).filter { $0 != $1 }.count
            XCTAssertEqual(differ, 0, "\(name): \(differ) of \(expected.count) values differ from Pillow's")
            XCTAssertEqual(try ImageFile.isColor(Fixtures.path("jpeg/" + name)), image.channels == 3)
        }
    }

    func testTruncatedNonJPEGAndMisnamedFiles() throws {
        XCTAssertThrowsError(try ImageFile.read(Fixtures.path("jpeg/truncated.jpg"))) {
            XCTAssert("\($0)".contains("truncated.jpg") && "\($0)".contains("corrupt or truncated JPEG"), "\($0)")
        }
        let dir = try scratchDirectory()
        // A PNG named .jpg is read as the PNG it is; a JPEG named .png as a JPEG.
        let png = PNGImage(width: 2, height: 1, channels: 1, pixels: [7, 200])
        try png.write(to: dir + "/really-png.jpg")
        XCTAssertEqual(try ImageFile.read(dir + "/really-png.jpg"), png)
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/gray_31x17.jpg"), toPath: dir + "/really-jpeg.png")
        XCTAssertEqual(try ImageFile.read(dir + "/really-jpeg.png").width, 31)
        // Garbage and missing files name the file.
        try Data([0xFF, 0xD8, 0xFF, 0x00, 0x01]).write(to: URL(fileURLWithPath: dir + "/bad.jpg"))
        XCTAssertThrowsError(try ImageFile.read(dir + "/bad.jpg")) { XCTAssert("\($0)".contains("bad.jpg"), "\($0)") }
        XCTAssertThrowsError(try ImageFile.read(dir + "/none.jpg")) { XCTAssert("\($0)".contains("none.jpg: no such file"), "\($0)") }
    }
}
