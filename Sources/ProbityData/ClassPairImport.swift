import Foundation
import ProbityCore

/// What the VOC and COCO importers share: an image with its objects becomes one sample per
/// class present (label = that class), as TorchRay's pointing game scores every class of an
/// image, each sample carrying all the image's boxes (with classes and difficult flags) and its
/// file name; the image is optionally center-cropped, then resized to size × size, and the boxes
/// follow the crop and the scale, clipped to the image.
enum ClassPairImport {
    /// An object in the original image's pixels: [x0, x1) × [y0, y1), continuous coordinates.
    struct Object { var label: Int; var x0, y0, x1, y1: Float; var difficult: Bool }

    static func append(_ image: PNGImage, objects: [Object], name: String, size: Int, crop: ImageFolderImporter.Crop,
                       method: ResizeMethod, to writer: DatasetWriter) throws {
        var planes = image.planes
        var cropX = 0, cropY = 0, side = (w: image.width, h: image.height)
        if crop == .center {
            let s = Swift.min(image.width, image.height)
            cropX = (image.width - s) / 2; cropY = (image.height - s) / 2
            planes = image.centerSquare().planes
            side = (s, s)
        }
        if planes.shape[0] == 1 { planes = Tensor.concatenate(batch: [planes, planes, planes]) }
        if planes.shape[1] != size || planes.shape[2] != size { planes = planes.resized(height: size, width: size, method: method) }
        let pixels = PNGImage(planes: planes).pixels
        let sx = Float(size) / Float(side.w), sy = Float(size) / Float(side.h)
        let boxes: [Box] = objects.compactMap { o in
            let x0 = Swift.max(0, (o.x0 - Float(cropX)) * sx), y0 = Swift.max(0, (o.y0 - Float(cropY)) * sy)
            let x1 = Swift.min(Float(size), (o.x1 - Float(cropX)) * sx), y1 = Swift.min(Float(size), (o.y1 - Float(cropY)) * sy)
            return x1 > x0 && y1 > y0 ? Box(sample: 0, label: o.label, x0: x0, y0: y0, x1: x1, y1: y1, difficult: o.difficult) : nil
        }
        // One sample per class with a box left after the crop.
        for label in Set(boxes.map(\.label)).sorted() {
            try writer.append(pixels: pixels, label: label, boxes: boxes, name: name)
        }
    }

    /// The preprocessing for a 3-channel dataset from a user's (possibly one-value) choice.
    static func rgb(_ given: Preprocessing?) -> Preprocessing {
        let pre = given ?? .unit(channels: 3)
        return pre.channels == 3 ? pre : Preprocessing(scale: .init(repeating: pre.scale[0], count: 3), offset: .init(repeating: pre.offset[0], count: 3))
    }
}
