import XCTest
import Foundation
import ProbityCore
@testable import ProbityData

final class ImporterTests: XCTestCase {
    func writePNG(_ path: String, width: Int, height: Int, value: UInt8, channels: Int = 3) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try PNGImage(width: width, height: height, channels: channels, pixels: [UInt8](repeating: value, count: width * height * channels)).write(to: path)
    }

    func testClassSubfoldersBecomeSortedLabels() throws {
        let dir = try scratchDirectory()
        try writePNG(dir + "/in/zebra/a.png", width: 10, height: 6, value: 10)
        try writePNG(dir + "/in/ant/b.png", width: 6, height: 10, value: 20)
        try writePNG(dir + "/in/ant/c.png", width: 8, height: 8, value: 30, channels: 1)
        var importer = ImageFolderImporter(directory: dir + "/in")
        importer.size = 4
        XCTAssertEqual(try importer.run(output: dir + "/d.h5").count, 3)
        let d = try Dataset(path: dir + "/d.h5")
        XCTAssertEqual(d.classNames, ["ant", "zebra"])
        XCTAssertEqual(d.labels, [0, 0, 1])          // ant/b, ant/c, zebra/a
        XCTAssertEqual([d.height, d.width, d.channels], [4, 4, 3])
        XCTAssertEqual(Set(try d.pixels(1..<2)), [30])   // gray expanded to RGB, flat stays flat
    }

    func testCSVLabelsAndCOCOBoxesFollowCropAndScale() throws {
        let dir = try scratchDirectory()
        try writePNG(dir + "/in/one.png", width: 40, height: 20, value: 50)   // crop x 10..<30, scale ×0.5
        try writePNG(dir + "/in/two.png", width: 20, height: 20, value: 60)
        try "file,label\none.png,dog\ntwo.png,cat\n".write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        let coco = """
        {"images": [{"id": 1, "file_name": "one.png", "width": 40, "height": 20}, {"id": 2, "file_name": "two.png"}],
         "annotations": [{"image_id": 1, "bbox": [12, 2, 10, 6], "category_id": 7}, {"image_id": 1, "bbox": [0, 0, 5, 5], "category_id": 7}],
         "categories": [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}]}
        """
        try coco.write(toFile: dir + "/boxes.json", atomically: true, encoding: .utf8)
        var importer = ImageFolderImporter(directory: dir + "/in")
        importer.size = 10
        importer.labelsCSV = dir + "/labels.csv"
        importer.cocoJSON = dir + "/boxes.json"
        try importer.run(output: dir + "/d.h5")
        let d = try Dataset(path: dir + "/d.h5")
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.labels, [1, 0])
        // [12, 2, 10, 6] → crop offset 10 → (2, 2)–(12, 8) → ×0.5 → (1, 1)–(6, 4); the [0,0,5,5] box lies outside the crop.
        XCTAssertEqual(d.boxes, [Box(sample: 0, label: 1, x0: 1, y0: 1, x1: 6, y1: 4)])
    }

    func testBadLabelFilesAndBoxesAreReported() throws {
        let dir = try scratchDirectory()
        try writePNG(dir + "/in/one.png", width: 8, height: 8, value: 1)
        try "file,label\none.png\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        try "{\"images\": [".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        try """
        {"images": [{"id": 1, "file_name": "one.png"}], "annotations": [{"image_id": 1, "bbox": [4, 4, 9, 2], "category_id": 1}], "categories": [{"id": 1, "name": "x"}]}
        """.write(toFile: dir + "/outside.json", atomically: true, encoding: .utf8)
        var importer = ImageFolderImporter(directory: dir + "/in")
        importer.labelsCSV = dir + "/bad.csv"
        assertBadInput(try importer.run(output: dir + "/o.h5"), file: dir + "/bad.csv", mentions: "line 2: expected `file,label`")
        importer.labelsCSV = nil
        importer.cocoJSON = dir + "/bad.json"
        assertBadInput(try importer.run(output: dir + "/o.h5"), file: dir + "/bad.json", mentions: "not valid JSON")
        importer.cocoJSON = dir + "/outside.json"
        assertBadInput(try importer.run(output: dir + "/o.h5"), file: dir + "/outside.json", mentions: "is outside the 8×8 image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o.h5"), "a failed import leaves no file")
        assertBadInput(try ImageFolderImporter(directory: dir + "/nope").run(output: dir + "/o.h5"), file: dir + "/nope", mentions: "no such folder")
    }

    func testSyntheticShapesAreDeterministicAndConsistent() throws {
        let a = SyntheticShapes(count: 10, size: 32, seed: 9, spurious: 1)
        let b = SyntheticShapes(count: 3, size: 32, seed: 9, spurious: 1)
        XCTAssertEqual(a.sample(2).pixels, b.sample(2).pixels, "a sample does not depend on how many are made")
        XCTAssertNotEqual(a.sample(2).pixels, SyntheticShapes(count: 10, size: 32, seed: 10).sample(2).pixels)
        for i in 0..<10 {
            let s = a.sample(i)
            XCTAssert(s.hasPatch)
            // The box is the mask's tight bounding box.
            var xs: [Int] = [], ys: [Int] = []
            for y in 0..<32 { for x in 0..<32 where s.mask[y * 32 + x] == 1 { xs.append(x); ys.append(y) } }
            XCTAssertGreaterThan(xs.count, 20)
            XCTAssertEqual([s.box.x0, s.box.y0, s.box.x1, s.box.y1], [Float(xs.min()!), Float(ys.min()!), Float(xs.max()! + 1), Float(ys.max()! + 1)])
        }
        let path = try scratchDirectory() + "/s.h5"
        try SyntheticShapes(count: 40, size: 32, seed: 1, testFraction: 0.25).write(to: path)
        let d = try Dataset(path: path)
        XCTAssertEqual(DatasetSchema.violations(of: d.file), [])
        XCTAssertEqual(d.split?.count, 40)
        XCTAssert((5...15).contains(d.indices(split: 1).count))
        XCTAssertEqual(d.boxes.count, 40)
    }
}
