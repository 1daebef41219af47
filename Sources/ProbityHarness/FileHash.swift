import Crypto
import Foundation
import ProbityCore

/// SHA-256 of a file, read in 1 MiB blocks (models and datasets are recorded by hash so a
/// cache entry made with another model or dataset is never reused).
public enum FileHash {
    public static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProbityError.badFile(path, "cannot open to hash") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block = handle.readData(ofLength: 1 << 20)
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
