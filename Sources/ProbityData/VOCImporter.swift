import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ProbityCore

/// Imports a PASCAL VOC split (`VOCdevkit/VOC2007`: `ImageSets/Main/<set>.txt`,
/// `Annotations/<id>.xml`, `JPEGImages/<id>.jpg`) for the pointing game as TorchRay runs it:
/// one sample per image and class present (label = that class, explained with
/// `target: label`), every box of the image kept with its class and PASCAL `difficult` flag
/// (so the EBP "difficult" rule sees the other classes, and a class whose boxes are all
/// difficult is skipped), and `/sample_names` = `JPEGImages/<id>.jpg`, whose stem `<id>` is how
/// TorchRay's difficult-flags file names images.
///
/// Boxes follow TorchRay's `voc_as_mask`: VOC's 1-based inclusive corners (xmin … xmax) cover
/// pixels xmin − 1 … xmax − 1, i.e. the box [xmin − 1, xmax) here, then the import's crop and
/// resize. Classes are VOC's 20 in TorchRay's order (`VOC_CLASSES`).
public struct VOCImporter {
    public static let classes = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
                                 "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]

    public var root: String
    public var set: String = "test"
    public var size: Int = 224
    public var crop: ImageFolderImporter.Crop = .none
    public var method: ResizeMethod = .antialiased
    public var preprocessing: Preprocessing? = nil
    /// Import only the first `limit` images of the set (a quick look).
    public var limit: Int? = nil

    public init(root: String) { self.root = root }

    /// One object of an annotation.
    struct Object: Equatable { var label: Int; var xmin, ymin, xmax, ymax: Float; var difficult: Bool }

    /// Parses `Annotations/<id>.xml`: image size and objects.
    static func annotation(_ path: String) throws -> (width: Int, height: Int, objects: [Object]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "no such annotation file") }
        let document: XMLDocument
        do { document = try XMLDocument(data: data) } catch { throw ProbityError.badFile(path, "not readable XML (\(error.localizedDescription))") }
        func text(_ node: XMLNode, _ xpath: String) -> String? {
            (try? node.nodes(forXPath: xpath))?.first?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let w = text(document, "/annotation/size/width").flatMap(Int.init), let h = text(document, "/annotation/size/height").flatMap(Int.init), w > 0, h > 0 else {
            throw ProbityError.badInput(file: path, location: "annotation/size", problem: "expected positive integer width and height")
        }
        var objects: [Object] = []
        for (k, node) in ((try? document.nodes(forXPath: "/annotation/object")) ?? []).enumerated() {
            guard let name = text(node, "name") else { throw ProbityError.badInput(file: path, location: "object \(k + 1)", problem: "has no name") }
            guard let label = classes.firstIndex(of: name) else {
                throw ProbityError.badInput(file: path, location: "object \(k + 1)", problem: "class `\(name)` is not one of VOC's 20 classes")
            }
            let corners = ["xmin", "ymin", "xmax", "ymax"].map { text(node, "bndbox/" + $0).flatMap(Double.init) }
            guard corners.allSatisfy({ $0 != nil }) else {
                throw ProbityError.badInput(file: path, location: "object \(k + 1) (\(name))", problem: "expected bndbox xmin, ymin, xmax, ymax numbers")
            }
            // VOC stores integers; a few files carry decimals, which TorchRay's int() truncates.
            let c = corners.map { Float(Int($0!)) }
            guard c[0] >= 1, c[1] >= 1, c[2] >= c[0], c[3] >= c[1], c[2] <= Float(w), c[3] <= Float(h) else {
                throw ProbityError.badInput(file: path, location: "object \(k + 1) (\(name))", problem: "box \(c.map { Int($0) }) is outside the \(w)×\(h) image")
            }
            objects.append(Object(label: label, xmin: c[0], ymin: c[1], xmax: c[2], ymax: c[3], difficult: text(node, "difficult") == "1"))
        }
        return (w, h, objects)
    }

    /// Imports into `output`; returns (images read, samples written).
    @discardableResult
    public func run(output: String, progress: ((Int, Int) -> Void)? = nil) throws -> (images: Int, samples: Int) {
        let list = root + "/ImageSets/Main/\(set).txt"
        guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
            throw ProbityError.badFile(list, "no such image list (expected a VOCdevkit/VOC20xx folder with ImageSets/Main/\(set).txt)")
        }
        var ids = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let limit { ids = Array(ids.prefix(limit)) }
        guard !ids.isEmpty else { throw ProbityError.badFile(list, "lists no images") }
        guard size >= 8 else { throw ProbityError.invalidArgument("--size must be at least 8, got \(size)") }
        let writer = try DatasetWriter(path: output, height: size, width: size, channels: 3)
        for (i, id) in ids.enumerated() {
            let annotation = try VOCImporter.annotation(root + "/Annotations/\(id).xml")
            let file = root + "/JPEGImages/\(id).jpg"
            let image = try ImageFile.read(file)
            guard image.width == annotation.width && image.height == annotation.height else {
                throw ProbityError.badFile(file, "is \(image.width)×\(image.height), its annotation says \(annotation.width)×\(annotation.height)")
            }
            let objects = annotation.objects.map {
                ClassPairImport.Object(label: $0.label, x0: $0.xmin - 1, y0: $0.ymin - 1, x1: $0.xmax, y1: $0.ymax, difficult: $0.difficult)
            }
            try ClassPairImport.append(image, objects: objects, name: "JPEGImages/\(id).jpg", size: size, crop: crop, method: method, to: writer)
            progress?(i + 1, ids.count)
        }
        let channelsPre = (preprocessing ?? .unit(channels: 3)).forChannels(3)
        let samples = writer.count
        guard samples > 0 else { throw ProbityError.badFile(list, "no image of the set has an object left after the crop") }
        try writer.finish(classNames: VOCImporter.classes, preprocessing: channelsPre,
                          description: "PASCAL VOC \((root as NSString).lastPathComponent) \(set): one sample per image and class, \(size)×\(size)",
                          source: "probity dataset import-voc \(root) --set \(set) --size \(size) --crop \(crop.rawValue)" + (limit.map { " --limit \($0)" } ?? ""))
        return (ids.count, samples)
    }
}
