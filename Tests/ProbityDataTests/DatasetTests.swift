import XCTest
import Foundation
import ProbityCore
@testable import ProbityData

final class DatasetTests: XCTestCase {
    /// A file that h5py wrote (Tests/Fixtures/h5py_dataset.h5) is read with every optional part.
    func testReadsFileWrittenByH5py() throws {
        let d = try Dataset(path: Fixtures.path("h5py_dataset.h5"))
        XCTAssertEqual([d.count, d.height, d.width, d.channels], [5, 8, 6, 3])
        XCTAssertEqual(d.labels, [0, 2, 1, 2, 0])
        XCTAssertEqual(d.classNames, ["ant", "bee", "cat"])
        XCTAssertEqual(d.boxes, [Box(sample: 1, label: 2, x0: 0, y0: 0, x1: 3, y1: 4), Box(sample: 3, label: 2, x0: 1.5, y0: 2, x1: 6, y1: 8)])
        XCTAssertEqual(d.split, [0, 0, 1, 0, 1])
        XCTAssertEqual(d.preprocessing, Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1]))
        XCTAssertEqual(d.description, "made by h5py")
        let px = try d.pixels(2..<4)   // hyperslab: samples 2 and 3 only
        for (k, i) in (2..<4).enumerated() { for y in 0..<8 { for x in 0..<6 { for c in 0..<3 {
            XCTAssertEqual(Int(px[((k * 8 + y) * 6 + x) * 3 + c]), (i * 7 + y * 3 + x * 5 + c) % 256)
        } } } }
        let input = try d.modelInput(1..<2)
        XCTAssertEqual(input.shape, [1, 3, 8, 6])
        XCTAssertEqual(input[0, 2, 1, 4], Float((1 * 7 + 1 * 3 + 4 * 5 + 2) % 256) / 255 * 2 - 1, accuracy: 1e-6)
        let masks = try XCTUnwrap(try d.masks(4..<5))
        XCTAssertEqual(masks[0 * 6 + 1], UInt8((4 + 0 + 1) % 2))
        XCTAssertEqual(d.indices(split: 1), [2, 4])
    }

    /// A file Probity writes is read by h5py (Debian's python3-h5py) with the schema's dtypes.
    func testH5pyReadsWhatProbityWrites() throws {
        let path = try scratchDirectory() + "/w.h5"
        let writer = try DatasetWriter(path: path, height: 4, width: 5, channels: 3)
        for i in 0..<3 {
            try writer.append(pixels: (0..<60).map { UInt8(($0 + i) % 256) }, label: i % 2,
                              mask: (0..<20).map { UInt8(($0 + i) % 2) },
                              boxes: [Box(sample: 0, label: i % 2, x0: 0, y0: 1, x1: 2.5, y1: 4)], split: UInt8(i % 2))
        }
        try writer.finish(classNames: ["no", "yes"], preprocessing: Preprocessing(scale: [1, 2, 3], offset: [0, -1, -2]),
                          description: "desc", source: "src")
        let out = try runPython("""
        import h5py, numpy as np
        f = h5py.File('\(path)', 'r')
        assert f['images'].dtype == np.uint8 and f['images'].shape == (3, 4, 5, 3)
        assert (f['images'][2].ravel() == (np.arange(60) + 2) % 256).all()
        assert f['labels'].dtype == np.int64 and list(f['labels'][:]) == [0, 1, 0]
        assert [s.decode() if isinstance(s, bytes) else s for s in f['class_names'][:]] == ['no', 'yes']
        assert f['boxes'].dtype == np.float32 and f['boxes'].shape == (3, 4) and f['boxes'][1, 2] == 2.5
        assert list(f['box_sample'][:]) == [0, 1, 2] and f['box_sample'].dtype == np.int64
        assert f['masks'].dtype == np.uint8 and f['masks'].shape == (3, 4, 5) and f['masks'][1, 0, 0] == 1
        assert list(f['split'][:]) == [0, 1, 0]
        assert int(f.attrs['probity_schema']) == 1
        assert list(f.attrs['input_scale']) == [1, 2, 3] and f.attrs['input_scale'].dtype == np.float32
        assert list(f.attrs['input_offset']) == [0, -1, -2]
        d = f.attrs['description']; assert (d.decode() if isinstance(d, bytes) else d) == 'desc'
        print('ok')
        """)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    /// Each schema rule, broken on purpose, is reported with its location.
    func testSchemaViolationsAreEachReported() throws {
        let dir = try scratchDirectory()
        func make(_ name: String, _ edit: (HDF5File) throws -> Void) throws -> String {
            let path = dir + "/\(name).h5"
            try FileManager.default.copyItem(atPath: Fixtures.path("h5py_dataset.h5"), toPath: path)
            let f = try HDF5File(path: path, mode: .readWrite)
            try edit(f)
            try f.flush()
            return path
        }
        let cases: [(String, (HDF5File) throws -> Void, String)] = [
            ("float_images", { try $0.write("/images", [Float](repeating: 0, count: 5 * 8 * 6 * 3), shape: [5, 8, 6, 3]) }, "/images: expected uint8, found float32"),
            ("rank", { try $0.write("/images", [UInt8](repeating: 0, count: 5 * 8 * 6), shape: [5, 8, 6]) }, "/images: expected rank 4"),
            ("no_labels", { try $0.remove("/labels") }, "/labels: missing dataset"),
            ("label_range", { try $0.write("/labels", [0, 1, 2, 3, 0] as [Int64], shape: [5]) }, "label 3 of sample 3 is out of range"),
            ("label_dtype", { try $0.write("/labels", [0, 1, 2, 1, 0] as [Int32], shape: [5]) }, "/labels: expected int64, found int32"),
            ("label_count", { try $0.write("/labels", [0, 1] as [Int64], shape: [2]) }, "/labels: expected shape [5]"),
            ("box_outside", { try $0.write("/boxes", [0, 0, 3, 4, 1, 2, 7, 8] as [Float], shape: [2, 4]) }, "box 1 (1.0, 2.0, 7.0, 8.0) is not inside the 6×8 image"),
            ("box_sample", { try $0.write("/box_sample", [1, 9] as [Int64], shape: [2]) }, "box 1 names sample 9"),
            ("mask_values", { try $0.write("/masks", [UInt8](repeating: 3, count: 5 * 8 * 6), shape: [5, 8, 6]) }, "/masks: expected values 0 or 1, found 3"),
            ("scale_count", { try $0.setAttribute("input_scale", .floats([1, 1])) }, "/@input_scale: expected 3 values"),
            ("schema", { try $0.setAttribute("probity_schema", .integers([2])) }, "/@probity_schema: expected 1"),
        ]
        for (name, edit, message) in cases {
            let path = try make(name, edit)
            let violations = DatasetSchema.violations(of: try HDF5File(path: path)).map(\.description)
            XCTAssert(violations.contains { $0.contains(message) }, "\(name): \(violations)")
            if name != "mask_values" {   // opening skips the scan of mask values; `validate` does it
                assertBadInput(try Dataset(path: path), file: path, mentions: "")
            }
        }
        XCTAssertEqual(DatasetSchema.violations(of: try HDF5File(path: Fixtures.path("h5py_dataset.h5"))), [])
    }

    /// datasets/photos.h5 holds the fixture's 8 images within ±1 (the fixture was made with
    /// scikit-image's anti-aliased resize; Probity's import reproduces it).
    func testCommittedPhotosMatchTheParityFixture() throws {
        let photos = try Dataset(path: Fixtures.repository.appendingPathComponent("datasets/photos.h5").path)
        XCTAssertEqual([photos.count, photos.height, photos.width, photos.channels], [8, 224, 224, 3])
        XCTAssertEqual(photos.preprocessing, Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1]))
        let fixture = try HDF5File(path: Fixtures.path("efficientnet_lite0.expected.h5"))
        let expected = try fixture.read("/images", as: UInt8.self)
        let mine = try photos.pixels(0..<8)
        XCTAssertEqual(expected.count, mine.count)
        let worst = zip(expected, mine).map { abs(Int($0) - Int($1)) }.max() ?? 99
        XCTAssertLessThanOrEqual(worst, 1)
        XCTAssertEqual(photos.classNames?.count, 1000)
        XCTAssertEqual(photos.labels, [285, 967, 450, 657, 665, 619, 971, 652])
    }
}

/// Issue 14: PASCAL VOC's per-box `difficult` flag (`/box_difficult`), written, read back by
/// h5py, checked by the schema, parsed from COCO JSON, and used as TorchRay's
/// `PointingGameBenchmark` uses it: a class whose boxes are all difficult is skipped (empty
/// ground truth); otherwise difficult boxes are drawn like the others (`voc_as_mask`).
final class DifficultBoxTests: XCTestCase {
    func testDifficultBoxesRoundTripAndSkipAsTorchRay() throws {
        let path = try scratchDirectory() + "/difficult.h5"
        let writer = try DatasetWriter(path: path, height: 4, width: 5, channels: 1)
        try writer.append(pixels: [UInt8](repeating: 9, count: 20), label: 0,
                          boxes: [Box(sample: 0, label: 0, x0: 0, y0: 0, x1: 1, y1: 1, difficult: true),
                                  Box(sample: 0, label: 1, x0: 3, y0: 2, x1: 5, y1: 4, difficult: true),
                                  Box(sample: 0, label: 1, x0: 0, y0: 3, x1: 1, y1: 4)])
        try writer.finish(classNames: ["a", "b"], preprocessing: Preprocessing(scale: [1], offset: [0]), description: "", source: "")
        do {
            let d = try Dataset(path: path)
            XCTAssertEqual(d.boxes.map(\.difficult), [true, true, false])
            XCTAssertEqual(try d.groundTruth(sample: 0, target: 0), [Bool](repeating: false, count: 20))   // all difficult: skipped
            let b = try d.groundTruth(sample: 0, target: 1)
            XCTAssertEqual((0..<20).filter { b[$0] }, [2 * 5 + 3, 2 * 5 + 4, 3 * 5 + 0, 3 * 5 + 3, 3 * 5 + 4])
        }
        let out = try runPython("""
        import h5py, numpy as np
        f = h5py.File('\(path)', 'r')
        assert f['box_difficult'].dtype == np.uint8 and list(f['box_difficult'][:]) == [1, 1, 0]
        print('ok')
        """)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        // The schema refuses values other than 0 and 1.
        do {
            let f = try HDF5File(path: path, mode: .readWrite)
            try f.write("/box_difficult", [0, 2, 0] as [UInt8], shape: [3])
            try f.flush()
        }
        XCTAssertThrowsError(try Dataset(path: path)) { XCTAssert("\($0)".contains("/box_difficult"), "\($0)") }
    }

    func testCOCODifficultFlag() throws {
        let path = try scratchDirectory() + "/voc.json"
        try """
        {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 3, "name": "cat"}],
         "annotations": [{"image_id": 1, "bbox": [0, 0, 2, 2], "category_id": 3, "difficult": 1},
                         {"image_id": 1, "bbox": [1, 1, 2, 2], "category_id": 3, "difficult": false},
                         {"image_id": 1, "bbox": [1, 1, 2, 2], "category_id": 3}]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try COCOBoxes(path: path).annotations["a.png"]?.map(\.difficult), [true, false, false])
    }
}
