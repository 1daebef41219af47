import Foundation

/// The fuzz targets' one scratch file: the readers under test take paths, so each input is
/// written to a file of this process (in /dev/shm when there is one: no disk writes) first.
public enum FuzzFile {
    public static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/probity-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Writes the input to `directory/input<suffix>` and returns that path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> String {
        let path = directory + "/input" + suffix
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
        return path
    }
}
