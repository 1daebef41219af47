import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// `probity dataset import-voc`: a hand-made VOCdevkit folder (the JPEG fixtures as images)
/// becomes one sample per image and class, with TorchRay's `voc_as_mask` box convention
/// (1-based inclusive corners), every box kept with its class and difficult flag, and names.
final class VOCImporterTests: XCTestCase {
    func makeDevkit(_ dir: String) throws -> String {
        let root = dir + "/VOC2007"
        for sub in ["ImageSets/Main", "Annotations", "JPEGImages"] {
            try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/rgb420_37x29.jpg"), toPath: root + "/JPEGImages/000001.jpg")
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/gray_31x17.jpg"), toPath: root + "/JPEGImages/000002.jpg")
        func object(_ name: String, _ c: [Int], difficult: Bool = false) -> String {
            "<object><name>\(name)</name><pose>Left</pose><truncated>0</truncated><difficult>\(difficult ? 1 : 0)</difficult>" +
            "<bndbox><xmin>\(c[0])</xmin><ymin>\(c[1])</ymin><xmax>\(c[2])</xmax><ymax>\(c[3])</ymax></bndbox></object>"
        }
        try """
        <annotation><folder>VOC2007</folder><filename>000001.jpg</filename><size><width>37</width><height>29</height><depth>3</depth></size>
        \(object("dog", [1, 1, 10, 8]))\(object("person", [5, 3, 37, 29]))\(object("dog", [20, 20, 25, 24], difficult: true))
        </annotation>
        """.write(toFile: root + "/Annotations/000001.xml", atomically: true, encoding: .utf8)
        try """
        <annotation><filename>000002.jpg</filename><size><width>31</width><height>17</height><depth>1</depth></size>
        \(object("cat", [2, 2, 31, 17], difficult: true))
        </annotation>
        """.write(toFile: root + "/Annotations/000002.xml", atomically: true, encoding: .utf8)
        try "000001\n000002\n".write(toFile: root + "/ImageSets/Main/test.txt", atomically: true, encoding: .utf8)
        return root
    }

    func testOneSamplePerImageAndClassWithTorchRayBoxes() throws {
        let dir = try scratchDirectory()
        let root = try makeDevkit(dir)
        var importer = VOCImporter(root: root)
        importer.size = 16
        let (images, samples) = try importer.run(output: dir + "/voc.h5")
        XCTAssertEqual(images, 2); XCTAssertEqual(samples, 3)
        let d = try Dataset(path: dir + "/voc.h5")
        let dog = VOCImporter.classes.firstIndex(of: "dog")!, person = VOCImporter.classes.firstIndex(of: "person")!, cat = VOCImporter.classes.firstIndex(of: "cat")!
        XCTAssertEqual(d.labels, [dog, person, cat])
        XCTAssertEqual(d.sampleNames, ["JPEGImages/000001.jpg", "JPEGImages/000001.jpg", "JPEGImages/000002.jpg"])
        XCTAssertEqual(d.channels, 3)
        // Every box of an image with each of its samples; corners (xmin − 1, ymin − 1, xmax, ymax) scaled by 16/37, 16/29.
        let first = d.boxes(ofSample: 0)
        XCTAssertEqual(first.map(\.label), [dog, person, dog])
        XCTAssertEqual(first.map(\.difficult), [false, false, true])
        let (sx, sy) = (Float(16) / 37, Float(16) / 29)
        XCTAssertEqual(first[0].x0, 0); XCTAssertEqual(first[0].y0, 0)
        XCTAssertEqual(first[0].x1, 10 * sx, accuracy: 1e-5); XCTAssertEqual(first[0].y1, 8 * sy, accuracy: 1e-5)
        XCTAssertEqual(first[1].x0, 4 * sx, accuracy: 1e-5); XCTAssertEqual(first[1].x1, 16, accuracy: 1e-5)
        XCTAssertEqual(d.boxes(ofSample: 1).map(\.label), [dog, person, dog])
        // The cat's only box is difficult: no ground truth, as TorchRay skips it.
        XCTAssertEqual(try d.groundTruth(sample: 2, target: cat).filter { $0 }.count, 0)
        // The gray JPEG became RGB with equal channels; the pixels are the decoded, resized image.
        let px = try d.pixels(2..<3)
        var gray = true
        for p in stride(from: 0, to: px.count, by: 3) where px[p] != px[p + 1] || px[p] != px[p + 2] { gray = false }
        XCTAssert(gray)
        let expected = PNGImage(planes: try ImageFile.read(root + "/JPEGImages/000001.jpg").planes.resized(height: 16, width: 16)).pixels
        XCTAssertEqual(try d.pixels(0..<1), expected)
    }

    func testBadDevkitsNameTheFile() throws {
        let dir = try scratchDirectory()
        let root = try makeDevkit(dir)
        var importer = VOCImporter(root: root)
        importer.set = "val"
        XCTAssertThrowsError(try importer.run(output: dir + "/x.h5")) { XCTAssert("\($0)".contains("ImageSets/Main/val.txt"), "\($0)") }
        try "<annotation><size><width>37</width><height>29</height></size><object><name>unicorn</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>"
            .write(toFile: root + "/Annotations/000002.xml", atomically: true, encoding: .utf8)
        importer.set = "test"
        XCTAssertThrowsError(try importer.run(output: dir + "/x.h5")) { XCTAssert("\($0)".contains("000002.xml") && "\($0)".contains("unicorn"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"))
        try "<annotation><size><width>37</width><height>29</height></size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>40</xmax><ymax>2</ymax></bndbox></object></annotation>"
            .write(toFile: root + "/Annotations/000002.xml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try importer.run(output: dir + "/x.h5")) { XCTAssert("\($0)".contains("outside the 37×29 image"), "\($0)") }
    }
}
