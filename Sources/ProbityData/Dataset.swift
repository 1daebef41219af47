import ProbityCore

/// A ground-truth box of a sample, in pixels.
public struct Box: Sendable, Equatable, Codable {
    public var sample: Int
    public var label: Int
    public var x0: Float, y0: Float, x1: Float, y1: Float
    public init(sample: Int, label: Int, x0: Float, y0: Float, x1: Float, y1: Float) {
        self.sample = sample; self.label = label; self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
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
    public let split: [UInt8]?
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
            boxes = (0..<s.count).map { Box(sample: Int(s[$0]), label: Int(l[$0]), x0: b[4 * $0], y0: b[4 * $0 + 1], x1: b[4 * $0 + 2], y1: b[4 * $0 + 3]) }
        } else { boxes = [] }
        split = file.exists("/split") ? try file.read("/split", as: UInt8.self) : nil
        hasMasks = file.exists("/masks")
        preprocessing = Preprocessing(scale: try file.attribute("input_scale")!.floatArray!,
                                      offset: try file.attribute("input_offset")!.floatArray!)
        description = (try? file.attribute("description"))?.text ?? ""
        source = (try? file.attribute("source"))?.text ?? ""
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

    /// The boxes of one sample.
    public func boxes(ofSample sample: Int) -> [Box] { boxes.filter { $0.sample == sample } }

    /// Indices of the samples in a split (0 = train, 1 = test); all samples when there is no split.
    public func indices(split wanted: UInt8) -> [Int] {
        guard let split else { return Array(0..<count) }
        return (0..<count).filter { split[$0] == wanted }
    }
}
