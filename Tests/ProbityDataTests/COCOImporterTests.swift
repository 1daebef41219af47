import Foundation
import XCTest
import ProbityCore
@testable import ProbityData

/// `probity dataset import-coco`: COCO instances JSON and an images folder become one sample per
/// image and category (label = index among categories sorted by id), boxes [x, y, w, h] scaled
/// into the imported size, file names kept; unannotated images are left out.
final class COCOImporterTests: XCTestCase {
    func testOneSamplePerImageAndCategory() throws {
        let dir = try scratchDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/val", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/rgb444_33x33.jpg"), toPath: dir + "/val/b.jpg")
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/rgb420_37x29.jpg"), toPath: dir + "/val/a.jpg")
        try FileManager.default.copyItem(atPath: Fixtures.path("jpeg/gray_31x17.jpg"), toPath: dir + "/val/empty.jpg")
        try """
        {"images": [{"id": 7, "file_name": "b.jpg"}, {"id": 3, "file_name": "a.jpg"}, {"id": 9, "file_name": "empty.jpg"}],
         "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
         "annotations": [{"image_id": 3, "bbox": [0, 0, 37, 29], "category_id": 1},
                         {"image_id": 3, "bbox": [3.5, 2, 10, 8], "category_id": 18},
                         {"image_id": 7, "bbox": [10, 10, 5, 5], "category_id": 18}]}
        """.write(toFile: dir + "/instances.json", atomically: true, encoding: .utf8)
        var importer = COCOImporter(images: dir + "/val", annotations: dir + "/instances.json")
        importer.size = 16
        let (images, samples) = try importer.run(output: dir + "/coco.h5")
        XCTAssertEqual(images, 2); XCTAssertEqual(samples, 3)
        let d = try Dataset(path: dir + "/coco.h5")
        // Image id 3 first (person = 0, dog = 1 by category id), then id 7.
        XCTAssertEqual(d.labels, [0, 1, 1])
        XCTAssertEqual(d.sampleNames, ["a.jpg", "a.jpg", "b.jpg"])
        XCTAssertEqual(d.classNames, ["person", "dog"])
        let dog = d.boxes(ofSample: 1).first { $0.label == 1 }!
        XCTAssertEqual(dog.x0, 3.5 * 16 / 37, accuracy: 1e-5); XCTAssertEqual(dog.x1, 13.5 * 16 / 37, accuracy: 1e-5)
        XCTAssertEqual(dog.y0, 2 * 16 / 29, accuracy: 1e-5); XCTAssertEqual(dog.y1, 10 * 16 / 29, accuracy: 1e-5)
        XCTAssertEqual(d.boxes(ofSample: 0).count, 2)
        // A box outside its image names the file and the image.
        try """
        {"images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "person"}],
         "annotations": [{"image_id": 1, "bbox": [30, 0, 20, 5], "category_id": 1}]}
        """.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try COCOImporter(images: dir + "/val", annotations: dir + "/bad.json").run(output: dir + "/bad.h5")) {
            XCTAssert("\($0)".contains("bad.json") && "\($0)".contains("a.jpg") && "\($0)".contains("outside the 37×29 image"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.h5"))
    }
}
