import ProbityCore

/// The dataset file format, schema version 1 (DESIGN.md). h5py reads and writes it with no
/// Probity code:
///
/// | path | type | meaning |
/// |---|---|---|
/// | `/images` | uint8 [N, H, W, C], C = 1 or 3 | pixels |
/// | `/labels` | int64 [N] | class index per sample |
/// | `/class_names` | strings [K] (optional) | names of the classes |
/// | `/boxes` | float32 [M, 4] (optional) | x0, y0, x1, y1 in pixels |
/// | `/box_sample`, `/box_label` | int64 [M] | which sample and class each box belongs to |
/// | `/box_difficult` | uint8 [M] (optional) | 1 for PASCAL VOC "difficult" objects, else 0 |
/// | `/masks` | uint8 [N, H, W] (optional) | ground-truth relevance region, 0/1 |
/// | `/split` | uint8 [N] (optional) | 0 = train, 1 = test |
/// | `/sample_names` | strings [N] (optional) | the file each sample was imported from (TorchRay's difficult flags are keyed by its stem) |
///
/// Root attributes: `probity_schema` = 1, `input_scale` and `input_offset` float32 [C]
/// (model input = pixel / 255 × scale + offset), `description`, `source`.
public enum DatasetSchema {
    public static let version: Int64 = 1

    /// One broken rule: where (`/labels`, `/@input_scale`) and what was expected versus found.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public var location: String
        public var problem: String
        public var description: String { "\(location): \(problem)" }
    }

    /// The problem of a string read that libhdf5 could not finish within Probity's read limit
    /// (a damaged string length: `HDF5File.readStrings`), said as it is; nil for other errors.
    static func damagedString(_ error: Error) -> String? {
        guard case let ProbityError.badInput(_, _, problem) = error, problem.contains("damaged string length") else { return nil }
        return problem
    }

    /// Checks every rule of the schema and returns each violation (empty when the file is valid).
    /// `deep` also scans mask and split values and every label (reads those datasets whole;
    /// images are never read).
    public static func violations(of file: HDF5File, deep: Bool = true) -> [Violation] {
        var found: [Violation] = []
        func add(_ location: String, _ problem: String) { found.append(Violation(location: location, problem: problem)) }
        func info(_ path: String) -> HDF5File.DatasetInfo? { file.exists(path) ? (try? file.info(path)) : nil }
        /// The values of `path`, or nil with the read's problem added (too large, unreadable).
        func readAll<T: HDF5Scalar>(_ path: String, _ type: T.Type) -> [T]? {
            do { return try file.read(path, as: T.self) } catch {
                if case let ProbityError.badInput(_, _, problem) = error { add(path, problem) } else { add(path, "\(error)") }
                return nil
            }
        }

        // Images decide N, H, W, C.
        guard let images = info("/images") else {
            add("/images", "missing dataset (expected uint8 [N, H, W, C])")
            return found
        }
        var n = 0, h = 0, w = 0, c = 0
        if images.kind != .unsignedInteger(bytes: 1) { add("/images", "expected uint8, found \(images.kind)") }
        if images.rank != 4 {
            add("/images", "expected rank 4 [N, H, W, C], found shape \(images.shape)")
        } else {
            (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
            if c != 1 && c != 3 { add("/images", "expected 1 or 3 channels, found \(c)") }
            if n == 0 { add("/images", "expected at least one image, found none") }
        }

        // Class names bound the labels.
        var classCount: Int? = nil
        if file.exists("/class_names") {
            do {
                let names = try file.readStrings("/class_names")
                classCount = names.count
                if names.isEmpty { add("/class_names", "expected at least one class name, found none") }
            } catch {
                add("/class_names", damagedString(error) ?? "expected strings [K], found \(info("/class_names")?.kind.description ?? "unreadable")")
            }
        }

        if let labels = info("/labels") {
            if labels.kind != .signedInteger(bytes: 8) {
                add("/labels", "expected int64, found \(labels.kind)")
            }
            if labels.rank != 1 || (images.rank == 4 && labels.shape[0] != n) {
                add("/labels", "expected shape [\(n)], found \(labels.shape)")
            } else if labels.kind.isInteger, let values = readAll("/labels", Int64.self) {
                if let bad = values.firstIndex(where: { $0 < 0 || (classCount != nil && $0 >= Int64(classCount!)) }) {
                    let range = classCount.map { "0..<\($0)" } ?? "≥ 0"
                    add("/labels", "label \(values[bad]) of sample \(bad) is out of range (expected \(range))")
                }
            }
        } else {
            add("/labels", "missing dataset (expected int64 [N])")
        }

        // Boxes come in threes.
        let hasBoxes = file.exists("/boxes")
        if hasBoxes || file.exists("/box_sample") || file.exists("/box_label") {
            let boxes = info("/boxes")
            let m = boxes?.shape.first ?? 0
            if let boxes {
                if !boxes.kind.isFloat { add("/boxes", "expected float32, found \(boxes.kind)") }
                if boxes.rank != 2 || boxes.shape[1] != 4 { add("/boxes", "expected shape [M, 4], found \(boxes.shape)") }
            } else { add("/boxes", "missing dataset (expected float32 [M, 4] with /box_sample and /box_label)") }
            for name in ["/box_sample", "/box_label"] {
                guard let d = info(name) else { add(name, "missing dataset (expected int64 [\(m)])"); continue }
                if !d.kind.isInteger { add(name, "expected int64, found \(d.kind)") }
                if d.rank != 1 || d.shape[0] != m { add(name, "expected shape [\(m)], found \(d.shape)") }
            }
            if let boxes, boxes.rank == 2, boxes.shape[1] == 4, boxes.kind.isFloat,
               let values = readAll("/boxes", Float.self) {
                for i in 0..<m {
                    let (x0, y0, x1, y1) = (values[4 * i], values[4 * i + 1], values[4 * i + 2], values[4 * i + 3])
                    if !(x0 >= 0 && y0 >= 0 && x1 <= Float(w) && y1 <= Float(h) && x0 < x1 && y0 < y1) {
                        add("/boxes", "box \(i) (\(x0), \(y0), \(x1), \(y1)) is not inside the \(w)×\(h) image with x0 < x1, y0 < y1")
                        break
                    }
                }
            }
            if let s = readAll("/box_sample", Int64.self), let bad = s.firstIndex(where: { $0 < 0 || $0 >= Int64(n) }) {
                add("/box_sample", "box \(bad) names sample \(s[bad]), expected 0..<\(n)")
            }
            if let l = readAll("/box_label", Int64.self),
               let bad = l.firstIndex(where: { $0 < 0 || (classCount != nil && $0 >= Int64(classCount!)) }) {
                add("/box_label", "box \(bad) has label \(l[bad]) out of range")
            }
            if let d = info("/box_difficult") {
                if d.kind != .unsignedInteger(bytes: 1) { add("/box_difficult", "expected uint8, found \(d.kind)") }
                if d.shape != [m] { add("/box_difficult", "expected shape [\(m)], found \(d.shape)") }
                else if let values = readAll("/box_difficult", UInt8.self), let bad = values.firstIndex(where: { $0 > 1 }) {
                    add("/box_difficult", "box \(bad): expected 0 or 1, found \(values[bad])")
                }
            }
        }

        if let masks = info("/masks") {
            if masks.kind != .unsignedInteger(bytes: 1) { add("/masks", "expected uint8, found \(masks.kind)") }
            if masks.shape != [n, h, w] { add("/masks", "expected shape [\(n), \(h), \(w)], found \(masks.shape)") }
            else if deep, let values = try? file.read("/masks", as: UInt8.self), let bad = values.first(where: { $0 > 1 }) {
                add("/masks", "expected values 0 or 1, found \(bad)")
            }
        }
        if let split = info("/split") {
            if split.kind != .unsignedInteger(bytes: 1) { add("/split", "expected uint8, found \(split.kind)") }
            if split.shape != [n] { add("/split", "expected shape [\(n)], found \(split.shape)") }
            else if deep, let values = readAll("/split", UInt8.self), let bad = values.first(where: { $0 > 1 }) {
                add("/split", "expected values 0 (train) or 1 (test), found \(bad)")
            }
        }
        if file.exists("/sample_names") {
            do {
                let names = try file.readStrings("/sample_names")
                if names.count != n { add("/sample_names", "expected \(n) names, found \(names.count)") }
            } catch {
                add("/sample_names", damagedString(error) ?? "expected strings [\(n)], found \(info("/sample_names")?.kind.description ?? "unreadable")")
            }
        }

        // Root attributes.
        switch try? file.attribute("probity_schema") {
        case .some(let a) where a.integer == version: break
        case .some(let a): add("/@probity_schema", "expected \(version), found \(a)")
        default: add("/@probity_schema", "missing attribute (expected \(version))")
        }
        for name in ["input_scale", "input_offset"] {
            switch try? file.attribute(name) {
            case .some(let a):
                if let v = a.floatArray {
                    if c > 0 && v.count != c { add("/@\(name)", "expected \(c) values (one per channel), found \(v.count)") }
                    if name == "input_scale" && v.contains(0) { add("/@\(name)", "expected non-zero scales, found \(v)") }
                    if v.contains(where: { !$0.isFinite }) { add("/@\(name)", "expected finite numbers, found \(v)") }
                } else { add("/@\(name)", "expected float32 [\(c)], found \(a)") }
            default: add("/@\(name)", "missing attribute (expected float32 [\(c)])")
            }
        }
        // Free text, optional; present, it must be readable.
        for name in ["description", "source"] {
            do { _ = try file.attribute(name) } catch {
                if case let ProbityError.badInput(_, _, problem) = error { add("/@\(name)", problem) } else { add("/@\(name)", "\(error)") }
            }
        }
        return found
    }
}
