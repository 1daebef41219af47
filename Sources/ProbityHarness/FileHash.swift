import CCrypto
import Foundation
import ProbityCore

/// SHA-256 of a file, read in 1 MiB blocks (models and datasets are recorded by hash so a
/// cache entry made with another model or dataset is never reused). The digest comes from
/// OpenSSL's libcrypto (EVP interface), so the build needs no vendored crypto library.
public enum FileHash {
    public static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProbityError.badFile(path, "cannot open to hash") }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw ProbityError.badFile(path, "libcrypto could not make a digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { throw ProbityError.badFile(path, "libcrypto could not start SHA-256") }
        while true {
            let block = handle.readData(ofLength: 1 << 20)
            if block.isEmpty { break }
            let ok = block.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            guard ok == 1 else { throw ProbityError.badFile(path, "libcrypto failed while hashing") }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1 else { throw ProbityError.badFile(path, "libcrypto could not finish SHA-256") }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of bytes in memory (suite fingerprints).
    public static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        data.withUnsafeBytes { _ = EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
