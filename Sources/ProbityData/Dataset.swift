import ProbityCore

/// A ground-truth box of a sample, in pixels. `difficult` is PASCAL VOC's flag (an object
/// hard to recognize); localization metrics skip a class whose boxes are all difficult, as
/// TorchRay's pointing game does.
public struct Box: Sendable, Equatable, Codable {
    public var sample: Int
    public var label: Int
    public var x0: Float, y0: Float, x1: Float, y1: Float
    public var difficult: Bool
    public init(sample: Int, label: Int, x0: Float, y0: Float, x1: Float, y1: Float, difficult: Bool = false) {
        self.sample = sample; self.label = label; self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1; self.difficult = difficult
    }

    private enum CodingKeys: String, CodingKey { case sample, label, x0, y0, x1, y1, difficult }
    /// Boxes encoded before `difficult` existed decode as not difficult.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(sample: try c.decode(Int.self, forKey: .sample), label: try c.decode(Int.self, forKey: .label),
                  x0: try c.decode(Float.self, forKey: .x0), y0: try c.decode(Float.self, forKey: .y0),
                  x1: try c.decode(Float.self, forKey: .x1), y1: try c.decode(Float.self, forKey: .y1),
                  difficult: try c.decodeIfPresent(Bool.self, forKey: .difficult) ?? false)
    }
}

/// A dataset file opened for reading (schema v1, see `DatasetSchema`).
///
/// Opening checks the schema (without scanning masks) and fails with the first violation,
/// naming the file and the path inside it. Small per-sample metadata (labels, boxes, split)
/// is read at once; images and masks are read by sample ranges, never whole.
public final class Dataset: @unchecked Sendable {
    public let path: String
    public let file: HDF5File
    public let count: Int
    public let height: Int
    public let width: Int
    public let channels: Int
    public let labels: [Int]
    public let classNames: [String]?
    public let boxes: [Box]
    /// `boxes` grouped by sample, in file order (per-sample lookups without scanning every box).
    private let boxesBySample: [Int: [Box]]
    public let split: [UInt8]?
    /// Each sample's name (`/sample_names`: the file it was imported from), when recorded.
    public let sampleNames: [String]?
    public let hasMasks: Bool
    public let preprocessing: Preprocessing
    public let description: String
    public let source: String

    public init(path: String) throws {
        self.path = path
        file = try HDF5File(path: path)
        let violations = DatasetSchema.violations(of: file, deep: false)
        if let first = violations.first {
            let more = violations.count > 1 ? " (and \(violations.count - 1) more; run `probity dataset validate`)" : ""
            throw ProbityError.badInput(file: path, location: first.location, problem: first.problem + more)
        }
        let shape = try file.info("/images").shape
        (count, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
        labels = try file.read("/labels", as: Int64.self).map { Int($0) }
        classNames = file.exists("/class_names") ? try file.readStrings("/class_names") : nil
        if file.exists("/boxes") {
            let b = try file.read("/boxes", as: Float.self)
            let s = try file.read("/box_sample", as: Int64.self)
            let l = try file.read("/box_label", as: Int64.self)
            let d = file.exists("/box_difficult") ? try file.read("/box_difficult", as: UInt8.self) : [UInt8](repeating: 0, count: s.count)
            boxes = (0..<s.count).map { Box(sample: Int(s[$0]), label: Int(l[$0]), x0: b[4 * $0], y0: b[4 * $0 + 1], x1: b[4 * $0 + 2], y1: b[4 * $0 + 3], difficult: d[$0] != 0) }
        } else { boxes = [] }
        boxesBySample = Dictionary(grouping: boxes, by: \.sample)
        split = file.exists("/split") ? try file.read("/split", as: UInt8.self) : nil
        sampleNames = file.exists("/sample_names") ? try file.readStrings("/sample_names") : nil
        hasMasks = file.exists("/masks")
        preprocessing = Preprocessing(scale: try file.attribute("input_scale")!.floatArray!,
                                      offset: try file.attribute("input_offset")!.floatArray!)
        // Optional, and free text when present; an attribute libhdf5 cannot read (a damaged
        // file) is an error, not an empty description.
        description = try file.attribute("description")?.text ?? ""
        source = try file.attribute("source")?.text ?? ""
    }

    /// Number of classes: the class names if present, else the largest label + 1.
    public var classCount: Int { classNames?.count ?? ((labels.max() ?? -1) + 1) }

    /// Pixels of samples `range`, uint8 [n, H, W, C].
    public func pixels(_ range: Range<Int>) throws -> [UInt8] {
        try file.read("/images", rows: range, as: UInt8.self)
    }

    /// Samples `range` as the model sees them: float [n, C, H, W] after `preprocessing`.
    public func modelInput(_ range: Range<Int>) throws -> Tensor {
        preprocessing.modelInput(pixels: try pixels(range), count: range.count, height: height, width: width)
    }

    /// Masks of samples `range`, uint8 [n, H, W], or nil when the dataset has none.
    public func masks(_ range: Range<Int>) throws -> [UInt8]? {
        hasMasks ? try file.read("/masks", rows: range, as: UInt8.self) : nil
    }

    /// Ground truth of a sample: its mask, or else the union of its boxes of class `target`
    /// (all its boxes when none has that class); a pixel is in a box when they overlap. As
    /// TorchRay's `PointingGameBenchmark` (VOC): when every one of those boxes is PASCAL
    /// "difficult" the region is empty, so localization metrics skip the sample (`nan`);
    /// otherwise difficult boxes count like the others (TorchRay's `voc_as_mask` draws them all).
    public func groundTruth(sample: Int, target: Int) throws -> [Bool] {
        let (h, w) = (height, width)
        if hasMasks, let mask = try masks(sample..<(sample + 1)) { return mask.map { $0 != 0 } }
        let all = boxes(ofSample: sample)
        let chosen = all.contains { $0.label == target } ? all.filter { $0.label == target } : all
        var region = [Bool](repeating: false, count: h * w)
        if !chosen.isEmpty && chosen.allSatisfy(\.difficult) { return region }
        for b in chosen {
            // Clipped to the image (an empty range, never a trap, for a box outside it).
            for y in max(0, Int(b.y0.rounded(.down)))..<max(0, min(h, Int(b.y1.rounded(.up)))) {
                for x in max(0, Int(b.x0.rounded(.down)))..<max(0, min(w, Int(b.x1.rounded(.up)))) { region[y * w + x] = true }
            }
        }
        return region
    }

    /// The boxes of one sample.
    public func boxes(ofSample sample: Int) -> [Box] { boxesBySample[sample] ?? [] }

    /// Indices of the samples in a split (0 = train, 1 = test); all samples when there is no split.
    public func indices(split wanted: UInt8) -> [Int] {
        guard let split else { return Array(0..<count) }
        return (0..<count).filter { split[$0] == wanted }
    }
}
