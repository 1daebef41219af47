import CHDF5
import Foundation
import ProbityCore

/// One HDF5 file, open for reading or writing, owning its id (closed in `deinit`).
///
/// Debian's libhdf5 is the serial build, which is not thread-safe: every call into the library
/// goes through `HDF5File.lock`. HDF5's own error printing is switched off; a failing call
/// becomes a `ProbityError.badInput` naming the file, the path inside it and HDF5's message.
///
/// Datasets are addressed by absolute paths (`/attributions/saliency`); missing groups on the
/// way are created on write. Large datasets are read by ranges of their first axis
/// (hyperslabs), so a dataset larger than memory is read batch by batch.
public final class HDF5File: @unchecked Sendable {
    public enum Mode: Sendable { case readOnly, readWrite, truncate }

    /// Serializes every HDF5 call in the process (recursive: wrappers call wrappers).
    static let lock = NSRecursiveLock()

    public let path: String
    let id: hid_t
    private var closed = false

    private static let initialized: Bool = {
        H5open()
        probity_h5_silence()
        return true
    }()

    /// Opens (or with `.truncate` creates) the file at `path`.
    public init(path: String, mode: Mode = .readOnly) throws {
        _ = HDF5File.initialized
        self.path = path
        HDF5File.lock.lock(); defer { HDF5File.lock.unlock() }
        switch mode {
        case .truncate:
            id = H5Fcreate(path, probity_h5f_acc_trunc(), probity_h5p_default(), probity_h5p_default())
            if id < 0 { throw HDF5File.openFailure(path, "cannot create file") }
        case .readOnly, .readWrite:
            guard FileManager.default.fileExists(atPath: path) else {
                throw ProbityError.badFile(path, "no such file")
            }
            if H5Fis_hdf5(path) <= 0 {
                throw ProbityError.badFile(path, "not an HDF5 file (no HDF5 signature)")
            }
            id = H5Fopen(path, mode == .readOnly ? probity_h5f_acc_rdonly() : probity_h5f_acc_rdwr(), probity_h5p_default())
            if id < 0 { throw HDF5File.openFailure(path, "cannot open (truncated or damaged file?)") }
        }
    }

    /// Why `H5Fopen`/`H5Fcreate` failed. A file another process holds open for writing fails
    /// with HDF5's file lock ("unable to lock file", EAGAIN) — in use, not damaged, and said so.
    static func openFailure(_ path: String, _ what: String) -> ProbityError {
        var buffer = [CChar](repeating: 0, count: 1024)
        probity_h5_error_message(&buffer, buffer.count)
        let detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if detail.contains("unable to lock") {
            return .badFile(path, "in use by another probity process or program (it holds the HDF5 file lock); wait for it to finish")
        }
        return .badInput(file: path, location: "", problem: detail.isEmpty ? what : "\(what) (HDF5: \(detail))")
    }

    deinit { close() }

    /// Closes the file now (idempotent); later calls on this object fail.
    public func close() {
        HDF5File.lock.lock(); defer { HDF5File.lock.unlock() }
        if !closed { H5Fclose(id); closed = true }
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        try locked { if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 { throw HDF5File.failure(path, "", "flush failed") } }
    }

    @inline(__always) func locked<T>(_ body: () throws -> T) rethrows -> T {
        HDF5File.lock.lock(); defer { HDF5File.lock.unlock() }
        return try body()
    }

    /// An error carrying HDF5's innermost message(s) from its error stack.
    static func failure(_ file: String, _ location: String, _ what: String) -> ProbityError {
        var buffer = [CChar](repeating: 0, count: 1024)
        probity_h5_error_message(&buffer, buffer.count)
        let detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .badInput(file: file, location: location, problem: detail.isEmpty ? what : "\(what) (HDF5: \(detail))")
    }

    func fail(_ location: String, _ what: String) -> ProbityError { HDF5File.failure(path, location, what) }

    // MARK: Links and groups

    /// Whether an object exists at `objectPath` (every component is checked in turn).
    public func exists(_ objectPath: String) -> Bool {
        locked {
            var prefix = ""
            for part in objectPath.split(separator: "/") {
                prefix += "/" + part
                if H5Lexists(id, prefix, probity_h5p_default()) <= 0 { return false }
            }
            return true
        }
    }

    /// Names of the members of a group, sorted.
    public func members(of group: String) throws -> [String] {
        try locked {
            guard group == "/" || exists(group) else { return [] }
            let g = H5Gopen2(id, group, probity_h5p_default())
            if g < 0 { throw fail(group, "not a group") }
            defer { H5Gclose(g) }
            var names: [String] = []
            var info = H5G_info_t()
            H5Gget_info(g, &info)
            for i in 0..<info.nlinks {
                let size = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, probity_h5p_default())
                if size < 0 { continue }
                var buf = [CChar](repeating: 0, count: Int(size) + 1)
                H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, buf.count, probity_h5p_default())
                names.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names.sorted()
        }
    }

    /// A link-creation property list that creates missing intermediate groups.
    func linkCreation() -> hid_t {
        let plist = H5Pcreate(probity_h5p_link_create())
        H5Pset_create_intermediate_group(plist, 1)
        return plist
    }

    /// Removes the link at `objectPath` if it exists (the space is not reclaimed by HDF5).
    public func remove(_ objectPath: String) throws {
        try locked {
            guard exists(objectPath) else { return }
            if H5Ldelete(id, objectPath, probity_h5p_default()) < 0 { throw fail(objectPath, "cannot delete") }
        }
    }
}
