import Foundation
import ProbityCore

/// Writes a dataset file (schema v1) one sample at a time, so an import never holds all
/// images in memory. Everything goes to a temporary file that `finish` renames into place:
/// an interrupted import leaves no half-written dataset behind.
public final class DatasetWriter {
    public let path: String
    public let height: Int, width: Int, channels: Int
    let temporary: String
    let file: HDF5File
    var labels: [Int64] = []
    var boxes: [Box] = []
    var masks: Bool?
    var split: [UInt8] = []
    var names: [String] = []
    var finished = false

    /// Starts a dataset of `height` × `width` images with `channels` channels (1 or 3).
    public init(path: String, height: Int, width: Int, channels: Int) throws {
        guard channels == 1 || channels == 3 else { throw ProbityError.invalidArgument("images need 1 or 3 channels, got \(channels)") }
        self.path = path
        self.height = height; self.width = width; self.channels = channels
        try AtomicFile.createFolder(for: path)
        temporary = AtomicFile.temporaryPath(for: path)
        file = try HDF5File(path: temporary, mode: .truncate)
        try file.create("/images", of: UInt8.self, shape: [0, height, width, channels],
                        chunks: [1, height, width, channels], growable: true, compression: 4)
    }

    deinit {
        if !finished { try? FileManager.default.removeItem(atPath: temporary) }
    }

    public var count: Int { labels.count }

    /// Adds one sample: pixels [H, W, C], its label, and optionally its mask [H, W] (0/1),
    /// its boxes (their `sample` field is set here), its split (0 train, 1 test) and its name
    /// (the file it came from). Either every sample has a mask or none does; the same for
    /// split and name.
    public func append(pixels: [UInt8], label: Int, mask: [UInt8]? = nil, boxes sampleBoxes: [Box] = [], split sampleSplit: UInt8? = nil,
                       name: String? = nil) throws {
        precondition(pixels.count == height * width * channels, "image does not match \(height)×\(width)×\(channels)")
        if masks == nil {
            masks = mask != nil
            if mask != nil {
                try file.create("/masks", of: UInt8.self, shape: [0, height, width], chunks: [1, height, width], growable: true, compression: 4)
            }
        }
        guard masks == (mask != nil) else { throw ProbityError.invalidArgument("either every sample has a mask or none does") }
        guard split.count == labels.count || sampleSplit == nil else { throw ProbityError.invalidArgument("either every sample has a split or none does") }
        guard names.count == labels.count || name == nil else { throw ProbityError.invalidArgument("either every sample has a name or none does") }
        let index = labels.count
        try file.append("/images", pixels)
        if let mask { try file.append("/masks", mask) }
        labels.append(Int64(label))
        if let sampleSplit { split.append(sampleSplit) }
        if let name { names.append(name) }
        for var b in sampleBoxes { b.sample = index; boxes.append(b) }
    }

    /// Writes labels, boxes and attributes, and moves the file into place.
    public func finish(classNames: [String]?, preprocessing: Preprocessing, description: String, source: String) throws {
        guard preprocessing.channels == channels else {
            throw ProbityError.invalidArgument("preprocessing has \(preprocessing.channels) channels, images have \(channels)")
        }
        try file.write("/labels", labels, shape: [labels.count])
        if let classNames { try file.writeStrings("/class_names", classNames) }
        if !boxes.isEmpty {
            try file.write("/boxes", boxes.flatMap { [$0.x0, $0.y0, $0.x1, $0.y1] }, shape: [boxes.count, 4])
            try file.write("/box_sample", boxes.map { Int64($0.sample) }, shape: [boxes.count])
            try file.write("/box_label", boxes.map { Int64($0.label) }, shape: [boxes.count])
            if boxes.contains(where: \.difficult) { try file.write("/box_difficult", boxes.map { UInt8($0.difficult ? 1 : 0) }, shape: [boxes.count]) }
        }
        if !names.isEmpty {
            guard names.count == labels.count else { throw ProbityError.invalidArgument("either every sample has a name or none does") }
            try file.writeStrings("/sample_names", names)
        }
        if !split.isEmpty {
            guard split.count == labels.count else { throw ProbityError.invalidArgument("either every sample has a split or none does") }
            try file.write("/split", split, shape: [split.count])
        }
        try file.setAttribute("probity_schema", .integers([DatasetSchema.version]))
        try file.setAttribute("input_scale", .floats(preprocessing.scale.map(Double.init)))
        try file.setAttribute("input_offset", .floats(preprocessing.offset.map(Double.init)))
        try file.setAttribute("description", .string(description))
        try file.setAttribute("source", .string(source))
        try file.flush()
        let violations = DatasetSchema.violations(of: file)
        if let first = violations.first {
            throw ProbityError.badInput(file: path, location: first.location, problem: "written dataset breaks the schema: \(first.problem)")
        }
        file.close()
        try AtomicFile.commit(temporary: temporary, to: path)
        finished = true
    }
}
