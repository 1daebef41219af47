import Foundation

/// Loads the other models a metric compares with (data randomization's twin trained on
/// shuffled labels) by path, each once per loader: the harness makes one per run that reads
/// ONNX files, so metrics need not know the file format, and tests can give one that builds
/// models directly.
public final class ModelLoader: @unchecked Sendable {
    private let load: @Sendable (_ path: String) throws -> any Model
    private var loaded: [String: any Model] = [:]
    private let lock = NSLock()

    public init(_ load: @escaping @Sendable (_ path: String) throws -> any Model) { self.load = load }

    /// The model at `path`, loaded on first use and kept.
    public func model(at path: String) throws -> any Model {
        lock.lock(); defer { lock.unlock() }
        if let m = loaded[path] { return m }
        let m = try load(path)
        loaded[path] = m
        return m
    }
}
