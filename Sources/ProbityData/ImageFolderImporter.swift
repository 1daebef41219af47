import Foundation
import ProbityCore

/// Turns a folder of PNG or JPEG images into a dataset file (`ImageFile`: JPEG decoded as Pillow does).
///
/// Labels come from class subfolders (`DIR/cat/x.png`, as torchvision's `ImageFolder`: classes
/// are the sorted subfolder names, or the order of a class-names file when one is given), from a `file,label` CSV, or from COCO boxes (the category of
/// a sample's largest box). Images are optionally center-cropped to a square and resized; boxes
/// follow the same crop and scale.
///
/// Nothing changes silently: what the import did to the images — alpha dropped, grayscale
/// replicated to RGB or RGB turned gray, a non-square image stretched (`--crop none` with a
/// size), an all-grayscale folder kept as one channel, files skipped because they are images
/// in a format Probity does not read — comes back in `ImportSummary.notes`, with counts and
/// the first few file names.
public struct ImageFolderImporter {
    public enum Crop: String, Sendable, CaseIterable { case center, none }

    public var directory: String
    public var size: Int? = nil
    public var crop: Crop = .center
    public var method: ResizeMethod = .antialiased
    public var labelsCSV: String? = nil
    public var cocoJSON: String? = nil
    /// A text file with one class name per line (line k names class k), for integer labels.
    public var classNamesFile: String? = nil
    public var preprocessing: Preprocessing? = nil
    public var description: String = ""
    /// Channels of the dataset: 1 (RGB converted to luma as Pillow's `convert("L")`) or 3
    /// (gray replicated). nil: 3 when any image has color, else 1.
    public var channels: Int? = nil

    public init(directory: String) { self.directory = directory }

    /// One image found in the folder, with its path relative to the folder.
    struct Entry { var relative: String; var classFolder: String? }

    /// Extensions of image formats Probity cannot read yet: such files are skipped and named in
    /// the summary (other files, such as a labels CSV beside the images, are not images and are
    /// passed over without a note).
    static let unreadableImageExtensions: Set<String> = ["gif", "bmp", "tif", "tiff", "webp", "ppm", "pgm", "heic", "avif"]

    /// Image files in the folder and its class subfolders that are neither PNG nor JPEG (relative paths, sorted).
    func skippedFiles() -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).sorted() where !name.hasPrefix(".") {
            var d: ObjCBool = false
            if fm.fileExists(atPath: directory + "/" + name, isDirectory: &d), d.boolValue {
                for file in ((try? fm.contentsOfDirectory(atPath: directory + "/" + name)) ?? []).sorted()
                where ImageFolderImporter.unreadableImageExtensions.contains((file as NSString).pathExtension.lowercased()) {
                    found.append(name + "/" + file)
                }
            } else if ImageFolderImporter.unreadableImageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                found.append(name)
            }
        }
        return found
    }

    func discover() throws -> [Entry] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ProbityError.badFile(directory, "no such folder")
        }
        let top = try fm.contentsOfDirectory(atPath: directory).sorted()
        let subfolders = top.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: directory + "/" + name, isDirectory: &d) && d.boolValue
        }
        var entries: [Entry] = top.filter(ImageFile.isImageName).map { Entry(relative: $0, classFolder: nil) }
        for folder in subfolders {
            let files = try fm.contentsOfDirectory(atPath: directory + "/" + folder).filter(ImageFile.isImageName).sorted()
            entries += files.map { Entry(relative: folder + "/" + $0, classFolder: folder) }
        }
        if entries.isEmpty {
            let skipped = skippedFiles()
            throw ProbityError.badFile(directory, "no PNG or JPEG images in the folder or its class subfolders" +
                                       (skipped.isEmpty ? "" : " (\(skipped.count) \(skipped.count == 1 ? "file" : "files") in formats Probity does not read, e.g. \(skipped[0]); convert them to PNG or JPEG)"))
        }
        if !subfolders.isEmpty && entries.contains(where: { $0.classFolder == nil }) && labelsCSV == nil {
            throw ProbityError.badFile(directory, "images both at the top level and in class subfolders; put every image in a class folder")
        }
        return entries
    }

    /// Imports into `output`; returns what was written and what was done to the images.
    @discardableResult
    public func run(output: String, progress: ((Int, Int) -> Void)? = nil) throws -> ImportSummary {
        let entries = try discover()
        if let channels, channels != 1 && channels != 3 {
            throw ProbityError.invalidArgument("--channels must be 1 (gray) or 3 (RGB), got \(channels)")
        }
        let csv = try labelsCSV.map { try LabelsCSV(path: $0) }
        let coco = try cocoJSON.map { try COCOBoxes(path: $0) }
        let givenNames = try classNamesFile.map { path -> [String] in
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ProbityError.badFile(path, "cannot read class names (expected UTF-8 text, one name per line)")
            }
            let names = text.split(whereSeparator: \.isNewline).map { String($0) }
            if names.isEmpty { throw ProbityError.badFile(path, "no class names") }
            return names
        }

        // Class names and each entry's label.
        var classNames: [String]
        var labelOf: (Entry) throws -> Int
        if let csv {
            let raw = try entries.map { e -> String in
                guard let l = csv.label(for: e.relative) else {
                    throw ProbityError.badInput(file: labelsCSV!, location: e.relative, problem: "no label for this image")
                }
                return l
            }
            if raw.allSatisfy({ Int($0) != nil }) {
                let values = raw.map { Int($0)! }
                if let bad = values.first(where: { $0 < 0 }) { throw ProbityError.badFile(labelsCSV!, "label \(bad) is negative") }
                classNames = givenNames ?? (0...(values.max() ?? 0)).map { "class_\($0)" }
                if let bad = values.first(where: { $0 >= classNames.count }) {
                    throw ProbityError.badFile(labelsCSV!, "label \(bad) is out of range: \(classNamesFile!) names \(classNames.count) classes")
                }
                labelOf = { e in Int(csv.label(for: e.relative)!)! }
            } else if let givenNames {
                let index = Dictionary(givenNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                if let unknown = raw.first(where: { index[$0] == nil }) {
                    throw ProbityError.badFile(labelsCSV!, "label `\(unknown)` is not in \(classNamesFile!)")
                }
                classNames = givenNames
                labelOf = { e in index[csv.label(for: e.relative)!]! }
            } else {
                classNames = Array(Set(raw)).sorted()
                let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
                labelOf = { e in index[csv.label(for: e.relative)!]! }
            }
        } else if entries.first?.classFolder != nil {
            // Class k is the k-th sorted folder (torchvision's ImageFolder), or with a names
            // file the folder of that name: the order the model was trained with.
            let folders = Array(Set(entries.compactMap(\.classFolder))).sorted()
            classNames = givenNames ?? folders
            let index = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            if let unknown = folders.first(where: { index[$0] == nil }) {
                throw ProbityError.badFile(classNamesFile!, "does not name the class folder `\(unknown)` (line k names class k; every folder must be listed)")
            }
            labelOf = { e in index[e.classFolder!]! }
        } else if let coco {
            classNames = coco.categories.map(\.name)
            labelOf = { e in
                let name = (e.relative as NSString).lastPathComponent
                guard let boxes = coco.annotations[e.relative] ?? coco.annotations[name], let largest = boxes.max(by: { $0.w * $0.h < $1.w * $1.h }) else {
                    throw ProbityError.badInput(file: self.cocoJSON!, location: e.relative, problem: "no annotation gives this image a label")
                }
                return coco.labelIndex(category: largest.category)
            }
        } else {
            classNames = ["unlabeled"]
            labelOf = { _ in 0 }
        }

        // Headers first: the dataset's channels, and what the import will do to which file.
        let headers = try entries.map { try ImageFile.header(of: directory + "/" + $0.relative) }
        let anyColor = headers.contains { $0.color }
        let outChannels = channels ?? (anyColor ? 3 : 1)
        var notes: [String] = []
        func files(_ keep: (Int) -> Bool) -> [String] { entries.indices.filter(keep).map { entries[$0].relative } }
        let withAlpha = files { headers[$0].alpha }
        if !withAlpha.isEmpty {
            notes.append("alpha channel dropped (not composited, as Pillow's convert(\"\(outChannels == 3 ? "RGB" : "L")\")) from \(ImportSummary.list(withAlpha))")
        }
        if outChannels == 3 {
            let gray = files { !headers[$0].color }
            if !gray.isEmpty { notes.append("grayscale replicated to 3 channels in \(ImportSummary.list(gray))") }
        } else if anyColor {
            notes.append("RGB converted to gray (ITU-R 601 luma, as Pillow's convert(\"L\")) in \(ImportSummary.list(files { headers[$0].color }))")
        } else if channels == nil {
            notes.append("all \(entries.count) images are grayscale: the dataset has 1 channel (give --channels 3 for a model that takes RGB)")
        }
        if crop == .none, let size {
            let stretched = files { headers[$0].width != headers[$0].height }
            if !stretched.isEmpty {
                notes.append("stretched to \(size)×\(size) (aspect ratio not kept, because of --crop none; --crop center keeps it): \(ImportSummary.list(stretched))")
            }
        }
        let skipped = skippedFiles()
        if !skipped.isEmpty {
            notes.append("skipped (neither PNG nor JPEG; convert them to one of those): \(ImportSummary.list(skipped))")
        }

        // Read images, converted to the dataset's channels before cropping and resizing (as
        // `Image.open(f).convert(mode)` then a transform would).
        var writer: DatasetWriter? = nil
        for (i, entry) in entries.enumerated() {
            let file = directory + "/" + entry.relative
            let image = try ImageFile.read(file).converted(channels: outChannels)
            let frame = ImportFrame(image, crop: crop, size: size, method: method)
            let (outH, outW) = (frame.height, frame.width)
            if writer == nil {
                writer = try DatasetWriter(path: output, height: outH, width: outW, channels: outChannels)
            }
            guard let writer else { break }
            guard outH == writer.height && outW == writer.width else {
                throw ProbityError.badFile(file, "is \(outW)×\(outH) after cropping, the first image was \(writer.width)×\(writer.height); give --size")
            }
            // Boxes: crop, scale, clip.
            var boxes: [Box] = []
            if let coco {
                let name = (entry.relative as NSString).lastPathComponent
                for a in coco.annotations[entry.relative] ?? coco.annotations[name] ?? [] {
                    try a.check(inside: image, file: cocoJSON!, location: entry.relative)
                    if let b = frame.box(label: coco.labelIndex(category: a.category), x0: a.x, y0: a.y, x1: a.x + a.w, y1: a.y + a.h, difficult: a.difficult) {
                        boxes.append(b)
                    }
                }
            }
            let label = try labelOf(entry)
            try writer.append(pixels: PNGImage(planes: frame.planes).pixels, label: label, boxes: boxes, name: entry.relative)
            progress?(i + 1, entries.count)
        }
        guard let writer else { return ImportSummary(count: 0, height: 0, width: 0, channels: outChannels, notes: notes) }
        try writer.finish(classNames: classNames, preprocessing: (preprocessing ?? .unit(channels: writer.channels)).forChannels(writer.channels),
                          description: description.isEmpty ? "imported from \((directory as NSString).lastPathComponent)" : description,
                          source: "probity dataset import-images \(directory)")
        return ImportSummary(count: writer.count, height: writer.height, width: writer.width, channels: writer.channels, notes: notes)
    }
}

/// What an import wrote, and each thing it did to the images that a user would not assume
/// (one sentence per kind, with the count and the first few files).
public struct ImportSummary: Sendable, Equatable {
    public var count: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    public var notes: [String]

    /// "3 images (a.png, b.png, c.png)", or the first `shown` names then "…".
    static func list(_ files: [String], shown: Int = 3) -> String {
        let names = files.prefix(shown).joined(separator: ", ") + (files.count > shown ? ", …" : "")
        return "\(files.count) \(files.count == 1 ? "file" : "files") (\(names))"
    }
}
