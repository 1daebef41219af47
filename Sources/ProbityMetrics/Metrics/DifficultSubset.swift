import Foundation
import ProbityCore

/// The "difficult" subset of the pointing game from the excitation-backprop paper (Zhang et
/// al. 2016/2018), which TorchRay's `PointingGameBenchmark(difficult=True)` scores: image and
/// class pairs where the class is small and not alone, so a map that points at "the object"
/// has to pick the right one.
///
/// - `ebp`: the paper's rule, computed from the ground truth: the region of the class
///   explained covers less than 1/4 of the image, and at least one box of another class is in
///   the image. Computed at the dataset's resolution (after import's crop and resize), where
///   the paper computes it on the original image: a center crop can change the answer.
/// - a file: TorchRay's per-image flags (`pointing_game_ebp_voc07_difficult.txt`, shipped with
///   TorchRay under CC BY-NC 4.0, so not with Probity): one line per image, the image's file
///   name without extension, then one 0/1 flag per class, tab-separated. Samples are matched
///   by the stem of their `/sample_names` entry. As TorchRay's `evaluate`, a pair is left out
///   only when its image is in the file and its flag is 0: an image the file does not list
///   is scored.
public enum DifficultSubset: Sendable, Equatable {
    case none
    case ebp
    case flags(file: String, flags: [String: [Bool]])

    /// Parses the option value: `none`, `ebp` or the path of a flags file (read now, so a bad
    /// file fails before any work starts).
    public init(option value: String) throws {
        switch value {
        case "none": self = .none
        case "ebp": self = .ebp
        default:
            guard let data = FileManager.default.contents(atPath: value), let text = String(data: data, encoding: .utf8) else {
                throw ProbityError.badFile(value, "cannot read the difficult-flags file (expected `none`, `ebp`, or TorchRay's flags file)")
            }
            var flags: [String: [Bool]] = [:]
            var width: Int? = nil
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                if fields.allSatisfy(\.isEmpty) { continue }
                guard fields.count >= 2, fields.dropFirst().allSatisfy({ $0 == "0" || $0 == "1" }) else {
                    throw ProbityError.badInput(file: value, location: "line \(n + 1)", problem: "expected an image name and tab-separated 0/1 class flags, found `\(line.prefix(60))`")
                }
                guard width == nil || width == fields.count - 1 else {
                    throw ProbityError.badInput(file: value, location: "line \(n + 1)", problem: "expected \(width!) class flags like the lines before, found \(fields.count - 1)")
                }
                width = fields.count - 1
                flags[fields[0]] = fields.dropFirst().map { $0 == "1" }
            }
            guard !flags.isEmpty else { throw ProbityError.badFile(value, "holds no flags") }
            self = .flags(file: value, flags: flags)
        }
    }

    /// The key a sample name is matched by: its file name up to the first dot, as TorchRay's
    /// `filename.split('.')[0]`.
    static func stem(_ name: String) -> String {
        let file = name.split(separator: "/").last.map(String.init) ?? name
        return String(file.split(separator: ".", omittingEmptySubsequences: false).first ?? Substring(file))
    }

    /// Whether sample i of `input` (explaining class `target`, ground truth `region`) is in the
    /// subset; nil for `.none`.
    func contains(_ input: MetricInput, sample i: Int, region: [Bool], metric: String) throws -> Bool? {
        switch self {
        case .none: return nil
        case .ebp:
            guard let classes = input.boxClasses?[i] else {
                throw ProbityError.invalidArgument("\(metric): difficult=ebp needs the dataset's /boxes (which classes are in each image)")
            }
            let area = Double(region.lazy.filter { $0 }.count) / Double(region.count)
            return area < 0.25 && classes.contains { $0 != input.targets[i] }
        case .flags(let file, let flags):
            guard let name = input.sampleNames?[i] else {
                throw ProbityError.invalidArgument("\(metric): difficult=\(file) matches images by name, and the dataset has no /sample_names (import it again with `probity dataset import-images`)")
            }
            guard let row = flags[Self.stem(name)] else { return true }
            let target = input.targets[i]
            guard target >= 0 && target < row.count else {
                throw ProbityError.badFile(file, "has \(row.count) class flags per image; class \(target) is out of range")
            }
            return row[target]
        }
    }
}
