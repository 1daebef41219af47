import ArgumentParser
import Foundation
import ProbityCore
import ProbityData

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Create, inspect and check dataset files (HDF5, schema v1).",
        subcommands: [ImportImages.self, ImportVOC.self, ImportCOCO.self, Info.self, Validate.self, Synth.self]
    )
}

extension ResizeMethod: ExpressibleByArgument {}
extension ImageFolderImporter.Crop: ExpressibleByArgument {}

struct ImportImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-images",
        abstract: "Import a folder of PNG or JPEG images (class subfolders, a labels CSV or COCO boxes).")

    @Argument(help: "Folder of .png/.jpg images, or of class subfolders of them.") var directory: String
    @Option(help: "Output dataset file.") var out: String
    @Option(help: "Resize to SIZE × SIZE.") var size: Int?
    @Option(help: "center: crop the centered square first; none: keep the whole image.") var crop: ImageFolderImporter.Crop = .center
    @Option(help: "Resize method: \(ResizeMethod.allCases.map(\.rawValue).joined(separator: ", ")).") var resize: ResizeMethod = .antialiased
    @Option(help: "CSV of `file,label` rows.") var labels: String?
    @Option(help: "COCO-format JSON with boxes.") var boxes: String?
    @Option(help: "Text file of class names, one per line (line k names label k); with class folders, the model's class order (default: sorted folder names).") var classNames: String?
    @OptionGroup var input: PreprocessingOptions
    @Option(help: "Description stored in the file.") var description: String = ""
    @Option(help: "Channels of the dataset: 3 (gray images replicated) or 1 (RGB to luma, as Pillow's convert(\"L\")). Default: 3 if any image has color, else 1.") var channels: Int?
    @Flag(help: "No progress output (notes on what the import changed are still printed).") var quiet = false

    func run() throws {
        var importer = ImageFolderImporter(directory: directory)
        importer.size = size
        importer.crop = crop
        importer.method = resize
        importer.labelsCSV = labels
        importer.cocoJSON = boxes
        importer.classNamesFile = classNames
        importer.preprocessing = try input.preprocessing()
        importer.description = description
        importer.channels = channels
        let summary = try importer.run(output: out, progress: ProgressView(quiet: quiet).counter("import"))
        if !quiet { print("wrote \(summary.count) images of \(summary.height)×\(summary.width)×\(summary.channels) to \(out)") }
        for note in summary.notes { print("note: \(note)") }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts, shapes, classes and preprocessing of a dataset.")
    @Argument(help: "Dataset file.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let d = try Dataset(path: file)
        var perClass = [Int](repeating: 0, count: d.classCount)
        for l in d.labels where l < perClass.count { perClass[l] += 1 }
        if json {
            var info: [String: Any] = [
                "file": file, "count": d.count, "height": d.height, "width": d.width, "channels": d.channels,
                "classes": d.classCount, "class_counts": perClass, "boxes": d.boxes.count, "masks": d.hasMasks,
                "input_scale": d.preprocessing.scale, "input_offset": d.preprocessing.offset,
                "description": d.description, "source": d.source,
            ]
            if let names = d.classNames { info["class_names"] = names }
            if let split = d.split { info["train"] = split.filter { $0 == 0 }.count; info["test"] = split.filter { $0 == 1 }.count }
            try printJSON(info)
            return
        }
        print("\(file): \(d.count) images of \(d.height)×\(d.width)×\(d.channels) (uint8)")
        print("classes: \(d.classCount)" + (d.classNames == nil ? " (no class names)" : ""))
        let used = perClass.enumerated().filter { $0.element > 0 }
        for (k, n) in used.prefix(20) { print("  \(k)\t\(d.classNames?[k] ?? "")\t\(n)") }
        if used.count > 20 { print("  … \(used.count - 20) more classes with samples") }
        print("boxes: \(d.boxes.count)   masks: \(d.hasMasks ? "yes" : "no")" +
              (d.split.map { s in "   split: \(s.filter { $0 == 0 }.count) train / \(s.filter { $0 == 1 }.count) test" } ?? ""))
        print("preprocessing: input = pixel/255 × \(d.preprocessing.scale) + \(d.preprocessing.offset)")
        if !d.description.isEmpty { print("description: \(d.description)") }
        if !d.source.isEmpty { print("source: \(d.source)") }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check every rule of the dataset schema; list each violation (exit 2 if any).")
    @Argument(help: "Dataset file.") var file: String

    func run() throws {
        let f = try HDF5File(path: file)
        let violations = DatasetSchema.violations(of: f)
        if violations.isEmpty {
            print("\(file): valid (schema \(DatasetSchema.version))")
            return
        }
        for v in violations { print("\(file): \(v)") }
        throw ProbityError.badFile(file, "\(violations.count) schema violation\(violations.count == 1 ? "" : "s")")
    }
}

struct ImportVOC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-voc",
        abstract: "Import a PASCAL VOC split (JPEG images, XML boxes) for the pointing game: one sample per image and class.",
        discussion: "Reads VOCDIR/ImageSets/Main/SET.txt, Annotations/ID.xml and JPEGImages/ID.jpg. Each image becomes one sample per class it shows (label = that class; run suites with `target: label`), keeping every box with its class and `difficult` flag, and its file name in /sample_names (for TorchRay's difficult-flags file).")
    @Argument(help: "The VOC folder, e.g. VOCdevkit/VOC2007.") var directory: String
    @Option(help: "Output dataset file.") var out: String
    @Option(help: "Image set: test, val, train, trainval.") var set: String = "test"
    @OptionGroup var frame: DetectionImportOptions
    @OptionGroup var input: PreprocessingOptions

    func run() throws {
        var importer = VOCImporter(root: directory)
        importer.set = set
        importer.size = frame.size
        importer.crop = frame.crop
        importer.method = frame.resize
        importer.preprocessing = try input.preprocessing()
        importer.limit = frame.limit
        let (images, samples) = try importer.run(output: out, progress: ProgressView(quiet: frame.quiet).counter("import"))
        if !frame.quiet { print("wrote \(samples) sample\(samples == 1 ? "" : "s") (\(images) image\(images == 1 ? "" : "s") × the classes each shows) to \(out)") }
    }
}

struct ImportCOCO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-coco",
        abstract: "Import a COCO detection split (images folder, instances JSON) for the pointing game: one sample per image and category.",
        discussion: "Each annotated image becomes one sample per category it shows (label = the category's index among categories sorted by id; run suites with `target: label`), keeping every box, and its file name in /sample_names.")
    @Argument(help: "The images folder, e.g. val2014.") var directory: String
    @Option(help: "The instances JSON, e.g. annotations/instances_val2014.json.") var annotations: String
    @Option(help: "Output dataset file.") var out: String
    @OptionGroup var frame: DetectionImportOptions
    @OptionGroup var input: PreprocessingOptions

    func run() throws {
        var importer = COCOImporter(images: directory, annotations: annotations)
        importer.size = frame.size
        importer.crop = frame.crop
        importer.method = frame.resize
        importer.preprocessing = try input.preprocessing()
        importer.limit = frame.limit
        let (images, samples) = try importer.run(output: out, progress: ProgressView(quiet: frame.quiet).counter("import"))
        if !frame.quiet { print("wrote \(samples) sample\(samples == 1 ? "" : "s") (\(images) image\(images == 1 ? "" : "s") × the categories each shows) to \(out)") }
    }
}

/// `--scale` and `--offset`: how the imported pixels become model input.
struct PreprocessingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Model input = pixel/255 × scale + offset: one value, or one per channel as `a,b,c`.") var scale: String = "1"
    @Option(parsing: .unconditional, help: "See --scale (e.g. -1, or -0.485,-0.456,-0.406 with matching scales).") var offset: String = "0"

    func preprocessing() throws -> Preprocessing {
        let scale = try floatList(self.scale, "--scale"), offset = try floatList(self.offset, "--offset")
        guard scale.count == offset.count else { throw ValidationError("--scale and --offset need the same number of values") }
        return Preprocessing(scale: scale, offset: offset)
    }
}

/// The size, crop, resize and limit of the detection importers (VOC, COCO).
struct DetectionImportOptions: ParsableArguments {
    @Option(help: "Resize to SIZE × SIZE.") var size: Int = 224
    @Option(help: "none: stretch the whole image to a square (boxes follow); center: crop the centered square first.") var crop: ImageFolderImporter.Crop = .none
    @Option(help: "Resize method: \(ResizeMethod.allCases.map(\.rawValue).joined(separator: ", ")).") var resize: ResizeMethod = .antialiased
    @Option(help: "Import only the first N images (VOC: in the set's list; COCO: annotated images by id).") var limit: Int?
    @Flag(help: "No progress output.") var quiet = false
}

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate synthetic datasets with ground truth.", subcommands: [Shapes.self])

    struct Shapes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Shapes on textured backgrounds, with masks, boxes and an optional shortcut patch.")
        @Option(help: "Output dataset file.") var out: String
        @Option(help: "Number of images.") var count: Int = 256
        @Option(help: "Image side in pixels.") var size: Int = 64
        @Option(help: "Random seed.") var seed: UInt64 = 0
        @Option(help: "Probability of a class-correlated patch (0…1).") var spurious: Double = 0
        @Option(help: "Fraction of samples in the test split (writes /split).") var testFraction: Double?
        @Option(help: "What masks and boxes mark: shape (the class-deciding shape) or patch (the shortcut patch; needs --spurious).")
        var groundTruth: SyntheticShapes.GroundTruth = .shape

        func run() throws {
            try SyntheticShapes(count: count, size: size, seed: seed, spurious: spurious, testFraction: testFraction, groundTruth: groundTruth).write(to: out)
            print("wrote \(count) shapes images to \(out)")
        }
    }
}

extension SyntheticShapes.GroundTruth: ExpressibleByArgument {}

/// Parses `1` or `0.5,0.5,0.5` into floats.
func floatList(_ text: String, _ name: String) throws -> [Float] {
    let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("\(name) takes numbers separated by commas, got `\(text)`") }
    return values.map { $0! }
}
