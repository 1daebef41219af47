import Foundation
import ProbityCore

/// Turns a folder of PNG images into a dataset file.
///
/// Labels come from class subfolders (`DIR/cat/x.png`, as torchvision's `ImageFolder`: classes
/// are the sorted subfolder names), from a `file,label` CSV, or from COCO boxes (the category of
/// a sample's largest box). Images are optionally center-cropped to a square and resized; boxes
/// follow the same crop and scale.
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

    public init(directory: String) { self.directory = directory }

    /// One image found in the folder, with its path relative to the folder.
    struct Entry { var relative: String; var classFolder: String? }

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
        var entries: [Entry] = top.filter { $0.lowercased().hasSuffix(".png") }.map { Entry(relative: $0, classFolder: nil) }
        for folder in subfolders {
            let files = try fm.contentsOfDirectory(atPath: directory + "/" + folder).filter { $0.lowercased().hasSuffix(".png") }.sorted()
            entries += files.map { Entry(relative: folder + "/" + $0, classFolder: folder) }
        }
        if entries.isEmpty { throw ProbityError.badFile(directory, "no .png images in the folder or its class subfolders") }
        if !subfolders.isEmpty && entries.contains(where: { $0.classFolder == nil }) && labelsCSV == nil {
            throw ProbityError.badFile(directory, "images both at the top level and in class subfolders; put every image in a class folder")
        }
        return entries
    }

    /// Imports into `output`; returns the number of samples written.
    @discardableResult
    public func run(output: String, progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        let entries = try discover()
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
            classNames = Array(Set(entries.compactMap(\.classFolder))).sorted()
            let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
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

        // Read images; decide output size and channels from the first pass over headers.
        var writer: DatasetWriter? = nil
        for (i, entry) in entries.enumerated() {
            let file = directory + "/" + entry.relative
            let image = try PNGImage(contentsOf: file)
            var planes = image.planes
            var cropX = 0, cropY = 0, side = (w: image.width, h: image.height)
            if crop == .center {
                let s = Swift.min(image.width, image.height)
                cropX = (image.width - s) / 2; cropY = (image.height - s) / 2
                planes = image.centerSquare().planes
                side = (s, s)
            }
            let outH = size ?? side.h, outW = size ?? side.w
            if planes.shape[1] != outH || planes.shape[2] != outW {
                planes = planes.resized(height: outH, width: outW, method: method)
            }
            if writer == nil {
                let channels = try entries.contains { e in
                    try PNGImage.header(of: directory + "/" + e.relative).color
                } ? 3 : 1
                writer = try DatasetWriter(path: output, height: outH, width: outW, channels: channels)
            }
            guard let writer else { break }
            guard outH == writer.height && outW == writer.width else {
                throw ProbityError.badFile(file, "is \(outW)×\(outH) after cropping, the first image was \(writer.width)×\(writer.height); give --size")
            }
            if planes.shape[0] == 1 && writer.channels == 3 { planes = Tensor.concatenate(batch: [planes, planes, planes]) }
            // Boxes: crop, scale, clip.
            var boxes: [Box] = []
            if let coco {
                let name = (entry.relative as NSString).lastPathComponent
                for a in coco.annotations[entry.relative] ?? coco.annotations[name] ?? [] {
                    guard a.w > 0, a.h > 0, a.x >= 0, a.y >= 0, a.x + a.w <= Float(image.width) + 0.5, a.y + a.h <= Float(image.height) + 0.5 else {
                        throw ProbityError.badInput(file: cocoJSON!, location: entry.relative,
                                                    problem: "box [\(a.x), \(a.y), \(a.w), \(a.h)] is outside the \(image.width)×\(image.height) image")
                    }
                    let sx = Float(outW) / Float(side.w), sy = Float(outH) / Float(side.h)
                    let x0 = Swift.max(0, (a.x - Float(cropX)) * sx), y0 = Swift.max(0, (a.y - Float(cropY)) * sy)
                    let x1 = Swift.min(Float(outW), (a.x + a.w - Float(cropX)) * sx), y1 = Swift.min(Float(outH), (a.y + a.h - Float(cropY)) * sy)
                    if x1 > x0 && y1 > y0 {
                        boxes.append(Box(sample: 0, label: coco.labelIndex(category: a.category), x0: x0, y0: y0, x1: x1, y1: y1, difficult: a.difficult))
                    }
                }
            }
            let label = try labelOf(entry)
            try writer.append(pixels: PNGImage(planes: planes).pixels, label: label, boxes: boxes, name: entry.relative)
            progress?(i + 1, entries.count)
        }
        guard let writer else { return 0 }
        let pre = preprocessing ?? .unit(channels: writer.channels)
        let channelsPre = pre.channels == writer.channels ? pre
            : Preprocessing(scale: .init(repeating: pre.scale[0], count: writer.channels), offset: .init(repeating: pre.offset[0], count: writer.channels))
        try writer.finish(classNames: classNames, preprocessing: channelsPre,
                          description: description.isEmpty ? "imported from \((directory as NSString).lastPathComponent)" : description,
                          source: "probity dataset import-images \(directory)")
        return writer.count
    }
}
