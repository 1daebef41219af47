import Foundation
import ProbityCore

/// Where an imported image's pixels go: the optional centered square crop, then the resize to
/// the dataset's size; boxes in the original image's pixels follow the same crop and scale and
/// are clipped to the result (nil when nothing is left). Shared by every importer that carries
/// boxes.
struct ImportFrame {
    /// The image's planes [C, H, W] after crop and resize.
    let planes: Tensor
    let cropX: Int, cropY: Int
    let width: Int, height: Int
    let sx: Float, sy: Float

    /// `size` nil keeps the (cropped) image's own size.
    init(_ image: PNGImage, crop: ImageFolderImporter.Crop, size: Int?, method: ResizeMethod) {
        var planes = image.planes
        var (cropX, cropY, side) = (0, 0, (w: image.width, h: image.height))
        if crop == .center {
            let s = Swift.min(image.width, image.height)
            cropX = (image.width - s) / 2; cropY = (image.height - s) / 2
            planes = image.centerSquare().planes
            side = (s, s)
        }
        let (h, w) = (size ?? side.h, size ?? side.w)
        if planes.shape[1] != h || planes.shape[2] != w { planes = planes.resized(height: h, width: w, method: method) }
        self.planes = planes
        self.cropX = cropX; self.cropY = cropY
        self.width = w; self.height = h
        sx = Float(w) / Float(side.w); sy = Float(h) / Float(side.h)
    }

    /// A box [x0, x1) × [y0, y1) of the original image, cropped, scaled and clipped.
    func box(label: Int, x0: Float, y0: Float, x1: Float, y1: Float, difficult: Bool) -> Box? {
        let a = Swift.max(0, (x0 - Float(cropX)) * sx), b = Swift.max(0, (y0 - Float(cropY)) * sy)
        let c = Swift.min(Float(width), (x1 - Float(cropX)) * sx), d = Swift.min(Float(height), (y1 - Float(cropY)) * sy)
        return c > a && d > b ? Box(sample: 0, label: label, x0: a, y0: b, x1: c, y1: d, difficult: difficult) : nil
    }
}

/// What the VOC and COCO importers share: an image with its objects becomes one sample per
/// class present (label = that class), as TorchRay's pointing game scores every class of an
/// image, each sample carrying all the image's boxes (with classes and difficult flags) and its
/// file name; gray images are replicated to RGB as Pillow's `convert("RGB")`.
enum ClassPairImport {
    /// An object in the original image's pixels: [x0, x1) × [y0, y1), continuous coordinates.
    struct Object { var label: Int; var x0, y0, x1, y1: Float; var difficult: Bool }

    static func append(_ image: PNGImage, objects: [Object], name: String, size: Int, crop: ImageFolderImporter.Crop,
                       method: ResizeMethod, to writer: DatasetWriter) throws {
        let frame = ImportFrame(image.converted(channels: 3), crop: crop, size: size, method: method)
        let pixels = PNGImage(planes: frame.planes).pixels
        let boxes = objects.compactMap { frame.box(label: $0.label, x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1, difficult: $0.difficult) }
        // One sample per class with a box left after the crop.
        for label in Set(boxes.map(\.label)).sorted() {
            try writer.append(pixels: pixels, label: label, boxes: boxes, name: name)
        }
    }
}
