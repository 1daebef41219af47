/// Errors that reach users. Every case names where the problem is and what was expected,
/// so the CLI can print one line and exit with status 2 (bad input) without a trap.
public enum ProbityError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read or written, or is not what it should be.
    /// `file` is the path, `location` a path inside it (an HDF5 dataset, a node name) or "".
    case badInput(file: String, location: String, problem: String)
    /// A caller passed arguments that do not fit (shapes, options, ranges).
    case invalidArgument(String)
    /// A model uses something the engine does not implement.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .badInput(file, location, problem):
            return location.isEmpty ? "\(file): \(problem)" : "\(file): \(location): \(problem)"
        case let .invalidArgument(message):
            return message
        case let .unsupported(message):
            return message
        }
    }
}

extension ProbityError {
    /// Convenience for input errors without a location inside the file.
    public static func badFile(_ file: String, _ problem: String) -> ProbityError {
        .badInput(file: file, location: "", problem: problem)
    }
}
