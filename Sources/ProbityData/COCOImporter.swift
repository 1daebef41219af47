import Foundation
import ProbityCore

/// Imports a COCO detection split (an images folder and its `instances_*.json`) for the
/// pointing game as TorchRay runs it on COCO 2014 val: one sample per image and category present
/// (label = that category's index among the categories sorted by id, TorchRay's 80-class order
/// for COCO), every box of the image kept, and `/sample_names` = the image's `file_name`. Images
/// are taken in the JSON's order of image id; images without annotations are left out (no class
/// to point at).
///
/// Differs from TorchRay: its COCO ground truth is the union of the instances' segmentation
/// masks (`coco_as_mask`); Probity's is their boxes, which contain the masks, so hits can only
/// be easier here — by how much depends on the methods' spread.
public struct COCOImporter {
    public var images: String
    public var annotations: String
    public var size: Int = 224
    public var crop: ImageFolderImporter.Crop = .none
    public var method: ResizeMethod = .antialiased
    public var preprocessing: Preprocessing? = nil
    public var limit: Int? = nil

    public init(images: String, annotations: String) { self.images = images; self.annotations = annotations }

    /// Imports into `output`; returns (images read, samples written).
    @discardableResult
    public func run(output: String, progress: ((Int, Int) -> Void)? = nil) throws -> (images: Int, samples: Int) {
        let coco = try COCOBoxes(path: annotations)
        var names = coco.imageOrder.filter { !(coco.annotations[$0] ?? []).isEmpty }
        if let limit { names = Array(names.prefix(limit)) }
        guard !names.isEmpty else { throw ProbityError.badFile(annotations, "has no annotated images") }
        guard size >= 8 else { throw ProbityError.invalidArgument("--size must be at least 8, got \(size)") }
        let writer = try DatasetWriter(path: output, height: size, width: size, channels: 3)
        for (i, name) in names.enumerated() {
            let file = images + "/" + name
            let image = try ImageFile.read(file)
            var objects: [ClassPairImport.Object] = []
            for a in coco.annotations[name] ?? [] {
                try a.check(inside: image, file: annotations, location: name)
                objects.append(ClassPairImport.Object(label: coco.labelIndex(category: a.category), x0: a.x, y0: a.y, x1: a.x + a.w, y1: a.y + a.h, difficult: a.difficult))
            }
            try ClassPairImport.append(image, objects: objects, name: name, size: size, crop: crop, method: method, to: writer)
            progress?(i + 1, names.count)
        }
        guard writer.count > 0 else { throw ProbityError.badFile(annotations, "no image has a box left after the crop") }
        try writer.finish(classNames: coco.categories.map(\.name), preprocessing: (preprocessing ?? .unit(channels: 3)).forChannels(3),
                          description: "COCO \((annotations as NSString).lastPathComponent): one sample per image and category, \(size)×\(size)",
                          source: "probity dataset import-coco \(images) --annotations \(annotations) --size \(size) --crop \(crop.rawValue)" + (limit.map { " --limit \($0)" } ?? ""))
        return (names.count, writer.count)
    }
}
