import Foundation
import XCTest
import ProbityData

/// `dataset import-voc` and `dataset import-coco` as a user meets them: a devkit made from the
/// JPEG fixtures imports to one sample per image and class with names, and bad input (no image
/// list, a missing JSON, a box outside its image) exits 2 with one line naming the file, writing
/// nothing.
final class ImportDetectionCommandTests: XCTestCase {
    func testVOCAndCOCOImportsAndTheirErrors() throws {
        let dir = try CLI.scratch()
        let fixtures = CLI.repository.path + "/Tests/Fixtures/jpeg/"
        let voc = dir + "/VOC2007"
        for sub in ["ImageSets/Main", "Annotations", "JPEGImages"] { try FileManager.default.createDirectory(atPath: voc + "/" + sub, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: fixtures + "rgb444_33x33.jpg", toPath: voc + "/JPEGImages/000005.jpg")
        try """
        <annotation><size><width>33</width><height>33</height><depth>3</depth></size>
        <object><name>chair</name><difficult>0</difficult><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
        <object><name>person</name><difficult>1</difficult><bndbox><xmin>10</xmin><ymin>1</ymin><xmax>33</xmax><ymax>33</ymax></bndbox></object>
        </annotation>
        """.write(toFile: voc + "/Annotations/000005.xml", atomically: true, encoding: .utf8)
        try "000005\n".write(toFile: voc + "/ImageSets/Main/test.txt", atomically: true, encoding: .utf8)
        let ok = try CLI.run(["dataset", "import-voc", voc, "--out", dir + "/voc.h5", "--size", "32", "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let d = try Dataset(path: dir + "/voc.h5")
        XCTAssertEqual(d.labels, [VOCImporter.classes.firstIndex(of: "chair")!, VOCImporter.classes.firstIndex(of: "person")!])
        XCTAssertEqual(d.sampleNames, ["JPEGImages/000005.jpg", "JPEGImages/000005.jpg"])

        func refused(_ arguments: [String], mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try CLI.run(arguments)
            XCTAssertEqual(r.status, 2, r.stderr, file: file, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
            XCTAssert(r.stderr.hasPrefix("probity: error:") && r.stderr.contains(fragment), r.stderr, file: file, line: line)
        }
        try refused(["dataset", "import-voc", voc, "--set", "val", "--out", dir + "/x.h5"], mentions: "ImageSets/Main/val.txt")
        try refused(["dataset", "import-coco", voc + "/JPEGImages", "--annotations", dir + "/none.json", "--out", dir + "/x.h5"], mentions: "none.json")
        try """
        {"images": [{"id": 1, "file_name": "000005.jpg"}], "categories": [{"id": 62, "name": "chair"}],
         "annotations": [{"image_id": 1, "bbox": [20, 20, 20, 5], "category_id": 62}]}
        """.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        try refused(["dataset", "import-coco", voc + "/JPEGImages", "--annotations", dir + "/bad.json", "--out", dir + "/x.h5"], mentions: "outside the 33×33 image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"))
        try """
        {"images": [{"id": 1, "file_name": "000005.jpg"}], "categories": [{"id": 62, "name": "chair"}],
         "annotations": [{"image_id": 1, "bbox": [2, 2, 20, 5], "category_id": 62}]}
        """.write(toFile: dir + "/good.json", atomically: true, encoding: .utf8)
        let coco = try CLI.run(["dataset", "import-coco", voc + "/JPEGImages", "--annotations", dir + "/good.json", "--out", dir + "/coco.h5", "--size", "32"])
        XCTAssertEqual(coco.status, 0, coco.stderr)
        XCTAssert(coco.stdout.contains("wrote 1 sample (1 image × the categories each shows)"), coco.stdout)
    }
}
