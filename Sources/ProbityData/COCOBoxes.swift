import Foundation
import ProbityCore

/// Boxes from a COCO-format JSON file (`images`, `annotations` with `bbox` = [x, y, w, h] in
/// pixels, `categories`). Only the fields Probity needs are read, and an annotation's optional
/// `difficult` (0/1 or a boolean, as PASCAL VOC to COCO converters write it).
public struct COCOBoxes: Sendable {
    public struct Annotation: Sendable {
        public var category: Int; public var x: Float, y: Float, w: Float, h: Float; public var difficult: Bool = false

        /// Refuses a box that is empty or outside `image` (half a pixel of slack for rounding).
        func check(inside image: PNGImage, file: String, location: String) throws {
            guard w > 0, h > 0, x >= 0, y >= 0, x + w <= Float(image.width) + 0.5, y + h <= Float(image.height) + 0.5 else {
                throw ProbityError.badInput(file: file, location: location, problem: "box [\(x), \(y), \(w), \(h)] is outside the \(image.width)×\(image.height) image")
            }
        }
    }
    public var categories: [(id: Int, name: String)]
    /// Annotations by image file name.
    public var annotations: [String: [Annotation]]
    /// Image sizes declared in the JSON, by file name.
    public var sizes: [String: (width: Int, height: Int)]
    /// The images' file names in order of image id.
    public var imageOrder: [String]

    private struct File: Decodable {
        struct Image: Decodable { var id: Int; var file_name: String; var width: Int?; var height: Int? }
        struct Flag: Decodable {
            var value: Bool
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let b = try? c.decode(Bool.self) { value = b } else { value = try c.decode(Int.self) != 0 }
            }
        }
        struct Ann: Decodable { var image_id: Int; var bbox: [Float]; var category_id: Int; var difficult: Flag? }
        struct Category: Decodable { var id: Int; var name: String }
        var images: [Image]
        var annotations: [Ann]
        var categories: [Category]
    }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ProbityError.badFile(path, "no such file") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch let DecodingError.dataCorrupted(context) {
            throw ProbityError.badFile(path, "not valid JSON: \(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ProbityError.badInput(file: path, location: COCOBoxes.where(context.codingPath), problem: "missing key `\(key.stringValue)` (expected COCO format)")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ProbityError.badInput(file: path, location: COCOBoxes.where(context.codingPath), problem: "expected \(type)")
        } catch {
            throw ProbityError.badFile(path, "not COCO JSON: \(error)")
        }
        categories = file.categories.sorted { $0.id < $1.id }.map { ($0.id, $0.name) }
        let known = Set(categories.map(\.id))
        let names = Dictionary(file.images.map { ($0.id, $0.file_name) }, uniquingKeysWith: { a, _ in a })
        imageOrder = file.images.sorted { $0.id < $1.id }.map(\.file_name)
        sizes = [:]
        for image in file.images { if let w = image.width, let h = image.height { sizes[image.file_name] = (w, h) } }
        annotations = [:]
        for (i, a) in file.annotations.enumerated() {
            guard a.bbox.count == 4 else { throw ProbityError.badInput(file: path, location: "annotations[\(i)].bbox", problem: "expected [x, y, w, h], found \(a.bbox.count) numbers") }
            guard let name = names[a.image_id] else { throw ProbityError.badInput(file: path, location: "annotations[\(i)]", problem: "image_id \(a.image_id) is not in `images`") }
            guard known.contains(a.category_id) else { throw ProbityError.badInput(file: path, location: "annotations[\(i)]", problem: "category_id \(a.category_id) is not in `categories`") }
            annotations[name, default: []].append(Annotation(category: a.category_id, x: a.bbox[0], y: a.bbox[1], w: a.bbox[2], h: a.bbox[3],
                                                             difficult: a.difficult?.value ?? false))
        }
    }

    static func `where`(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// The label index of a category id (position among categories sorted by id).
    public func labelIndex(category: Int) -> Int { categories.firstIndex { $0.id == category } ?? 0 }
}
