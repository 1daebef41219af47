import Foundation
import XCTest

/// Every file of `Tests/Fixtures/bad/` (made by `Tests/Fixtures/recipes/make_bad_corpus.py`,
/// described in its README) through the command that reads it: exit status 2, nothing on
/// stdout, exactly one `probity: error:` line naming the file and the problem, no output left
/// behind, and no crash, trap, hang or giant allocation (a command still running after a
/// minute is killed, which fails the case). Every file in the folder has a case.
final class BadCorpusTests: XCTestCase {
    static let folder = CLI.repository.path + "/Tests/Fixtures/bad"

    /// How a file is read: the command (given the file's path and a scratch folder) and the
    /// path the error line must name (the file itself unless the command reads a copy).
    enum Reader {
        case dataset, model, suite, merge, coco, labels
        /// Copied into a class folder beside a good PNG, then imported.
        case image
    }

    /// file → (reader, what the line must say after the path).
    static let cases: [(file: String, reader: Reader, problem: String)] = [
        ("empty.h5", .dataset, "not an HDF5 file"),
        ("not_hdf5.h5", .dataset, "not an HDF5 file"),
        ("truncated.h5", .dataset, "cannot open (truncated or damaged file?)"),
        ("images_float32.h5", .dataset, "/images: expected uint8, found float32"),
        ("images_nan_inf.h5", .dataset, "/images: expected uint8, found float32"),
        ("images_rank3.h5", .dataset, "/images: expected rank 4 [N, H, W, C], found shape [4, 16, 16]"),
        ("images_4_channels.h5", .dataset, "/images: expected 1 or 3 channels, found 4"),
        ("labels_float.h5", .dataset, "/labels: expected int64, found float64"),
        ("labels_wrong_shape.h5", .dataset, "/labels: expected shape [4], found [7]"),
        ("labels_out_of_range.h5", .dataset, "/labels: label 7 of sample 2 is out of range (expected 0..<4)"),
        ("labels_negative.h5", .dataset, "/labels: label -1 of sample 1 is out of range (expected 0..<4)"),
        ("boxes_outside.h5", .dataset, "/boxes: box 0 (2.0, 2.0, 40.0, 12.0) is not inside the 16×16 image"),
        ("boxes_reversed.h5", .dataset, "/boxes: box 0 (10.0, 2.0, 4.0, 12.0) is not inside the 16×16 image with x0 < x1"),
        ("scale_nan.h5", .dataset, "/@input_scale: expected finite numbers, found [nan, 1.0, 1.0]"),
        ("offset_inf.h5", .dataset, "/@input_offset: expected finite numbers, found [0.0, inf, 0.0]"),
        ("fuzz_global_heap_loop.h5", .dataset, "/class_names: libhdf5 did not finish reading its strings (a damaged global heap)"),
        ("fuzz_global_heap_segv.h5", .dataset, "libhdf5 crashed reading its strings (a damaged global heap)"),
        ("fuzz_hdf5_open_overflow.h5", .dataset, "cannot open (truncated or damaged file?)"),
        ("fuzz_hdf5_extent_past_int_max.h5", .dataset, "/class_names: expected strings [K], found string"),
        ("string_length_4g.h5", .dataset, "/class_names: a string declares more than the 256 MiB Probity reads at once (a damaged string length?)"),
        ("attribute_length_4g.h5", .dataset, "/@description: a string declares more than the 256 MiB Probity reads at once (a damaged string length?)"),
        ("huge_declared.h5", .dataset, "/labels: declares 1000000000000 values, more than the 256 MiB Probity reads at once"),
        ("onnx_empty.onnx", .model, "not a valid ONNX model (no graph or no nodes)"),
        ("onnx_truncated.onnx", .model, "not a valid ONNX model (protobuf decoding failed: truncated)"),
        ("onnx_random.onnx", .model, "not a valid ONNX model (protobuf decoding failed"),
        ("onnx_unsupported_op.onnx", .model, "unsupported op Einsum at act (Einsum)"),
        ("onnx_cycle.onnx", .model, "nodes a (Add), b (Relu) form a cycle"),
        ("onnx_missing_input.onnx", .model, "node conv (Conv) reads ghost, which no initializer, input or node provides"),
        ("onnx_huge_weight_dims.onnx", .model, "initializer w: has 54 values for shape [1000000, 1000000, 1, 1]"),
        ("onnx_huge_input_dims.onnx", .model, "would hold 1×3×1000000×1000000 values, more than the 268435456 per sample Probity allocates"),
        ("fuzz_onnx_no_output.onnx", .model, "the graph declares no output"),
        ("fuzz_onnx_node_without_output.onnx", .model, "names no output"),
        ("png_corrupt_crc.png", .image, "corrupt or truncated PNG data: IDAT: CRC error"),
        ("png_truncated.png", .image, "corrupt or truncated PNG data"),
        ("png_not_png.png", .image, "not a readable PNG: Not a PNG file"),
        ("png_huge_header.png", .image, "declares 100000×100000 pixels, more than the 134217728 Probity reads"),
        ("suite_unknown_key.yaml", .suite, "line 4: unknown key `batchsize`; did you mean `batch`?"),
        ("suite_wrong_type.yaml", .suite, "line 4: `batch` must be an integer in 1…4096, got four"),
        ("suite_missing_dataset.yaml", .suite, "line 1: `dataset`: no file \(folder)/no_such_dataset.h5"),
        ("suite_missing_model.yaml", .suite, "line 2: `model`: no file \(folder)/no_such_model.onnx"),
        ("suite_not_yaml.yaml", .suite, "is not valid YAML: line 2, column 8"),
        ("suite_list.yaml", .suite, "line 1: a suite is a mapping of keys"),
        ("fuzz_suite_sexagesimal_overflow.yaml", .suite, "line 3: `samples.first` must be a positive integer"),
        ("shard_3_of_2", .merge, "bad shard 3/2"),
        ("coco_not_json.json", .coco, "not valid JSON"),
        ("coco_wrong_types.json", .coco, "images: expected Array"),
        ("labels_not_csv.csv", .labels, "expected `file,label`"),
        ("labels_three_fields.csv", .labels, "line 2: expected `file,label`, found `a.png,0,1`"),
    ]

    func testEveryFileOfTheCorpusIsRefusedWithOneLine() throws {
        let dir = try CLI.scratch()
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.repository.path + "/Tests/Fixtures/png/rgb8.png", toPath: dir + "/images/a.png")
        for c in Self.cases {
            let path = Self.folder + "/" + c.file
            let out = dir + "/out-" + c.file
            var named = path
            let arguments: [String]
            switch c.reader {
            case .dataset: arguments = ["dataset", "info", path]
            case .model: arguments = ["model", "info", path]
            case .suite: arguments = ["run", path, "--out", out, "--quiet"]
            case .merge: named = path + "/shard.json"; arguments = ["merge", path, "--out", out, "--quiet"]
            case .coco: arguments = ["dataset", "import-coco", dir + "/images", "--annotations", path, "--out", out, "--quiet"]
            case .labels: arguments = ["dataset", "import-images", dir + "/images", "--labels", path, "--out", out, "--quiet"]
            case .image:
                let folder = dir + "/import-" + c.file
                try FileManager.default.createDirectory(atPath: folder + "/a", withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: dir + "/images/a.png", toPath: folder + "/a/good.png")
                try FileManager.default.copyItem(atPath: path, toPath: folder + "/a/" + c.file)
                named = folder + "/a/" + c.file
                arguments = ["dataset", "import-images", folder, "--out", out, "--quiet"]
            }
            let r = try CLI.run(arguments, timeout: 60)
            XCTAssertEqual(r.status, 2, "\(c.file): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", c.file)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "\(c.file): one line: \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("probity: error: \(named): "), "\(c.file): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(c.problem), "\(c.file): expected `\(c.problem)` in \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(c.file): \(out) left behind")
        }
        // The table covers the folder.
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: Self.folder)).subtracting(["README.md"])
        XCTAssertEqual(files, Set(Self.cases.map(\.file)))
    }

    /// Refusing a damaged HDF5 file takes no giant allocation: every `.h5` of the corpus, read
    /// by `dataset info` and `dataset validate` in a child process, stays under 512 MB of
    /// resident memory (the child's own `ru_maxrss`). Without the address-space cap of
    /// `HDF5StringGuard`, libhdf5 touches 8 GB on `string_length_4g.h5` and
    /// `attribute_length_4g.h5` before it reads a one-letter string.
    func testRefusingDamagedHDF5FilesStaysUnder512MB() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".h5") }.sorted()
        XCTAssertTrue(files.contains("string_length_4g.h5") && files.contains("attribute_length_4g.h5"))
        for file in files {
            for command in ["info", "validate"] {
                let r = try CLI.runMeasuringMemory(["dataset", command, Self.folder + "/" + file])
                XCTAssertEqual(r.status, 2, "\(command) \(file): \(r.stderr)")
                XCTAssertLessThan(r.peakBytes, 512 << 20, "\(command) \(file): peak resident memory \(r.peakBytes >> 20) MB")
            }
        }
    }
}
