import Foundation
import ProbityCore
import ProbityData

/// Crash-safe pending writes for an HDF5 store: each finished unit of work (a batch of maps or
/// scores) becomes one small record file, written to a temporary name and renamed into place,
/// so a record is either whole or absent whatever moment the process is killed at — kill -9
/// included. `fold` later copies the HDF5 file, applies the records to the copy and renames the
/// copy over the original, then deletes the records; a crash at any point of that leaves either
/// the old file plus its records or the new file plus records that are already in it (applying
/// one twice writes the same values). HDF5 files are never modified in place, because a
/// process killed inside libhdf5 can leave one unreadable.
///
/// A record is `PRBJ1\n`, an 8-byte little-endian length, a JSON header (`Record.header` plus
/// the array directory) and the arrays' raw little-endian bytes.
public struct Journal: Sendable {
    /// The folder of record files (`<store>.journal`).
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public struct Record: Sendable {
        public var header: [String: String]
        public var floats: [String: [Float]] = [:]
        public var integers: [String: [Int64]] = [:]
        public var strings: [String: [String]] = [:]
        public init(header: [String: String], floats: [String: [Float]] = [:], integers: [String: [Int64]] = [:], strings: [String: [String]] = [:]) {
            self.header = header; self.floats = floats; self.integers = integers; self.strings = strings
        }
    }

    static let magic = Data("PRBJ1\n".utf8)

    /// Writes `record` under `name` (a later record with the same name replaces it).
    public func append(_ record: Record, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var directoryEntries: [[String: Any]] = []
        var payload = Data()
        for key in record.floats.keys.sorted() {
            let v = record.floats[key]!
            directoryEntries.append(["name": key, "type": "f32", "count": v.count])
            v.withUnsafeBufferPointer { payload.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: UInt8.self), count: v.count * 4)) }
        }
        for key in record.integers.keys.sorted() {
            let v = record.integers[key]!
            directoryEntries.append(["name": key, "type": "i64", "count": v.count])
            v.withUnsafeBufferPointer { payload.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: UInt8.self), count: v.count * 8)) }
        }
        let head: [String: Any] = ["header": record.header, "arrays": directoryEntries, "strings": record.strings]
        let json = try JSONSerialization.data(withJSONObject: head, options: [.sortedKeys])
        var data = Journal.magic
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(payload)
        try AtomicFile.write(data, to: directory + "/" + name + ".rec")
    }

    /// Names of the records present, sorted.
    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".rec") && !$0.hasPrefix(".") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// Reads record `name`; a damaged record (which atomic writes rule out) is an error naming it.
    public func read(_ name: String) throws -> Record {
        let path = directory + "/" + name + ".rec"
        guard let data = FileManager.default.contents(atPath: path), data.count >= 14, data.prefix(6) == Journal.magic else {
            throw ProbityError.badFile(path, "not a Probity journal record")
        }
        let length = data.subdata(in: 6..<14).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        guard 14 + Int(length) <= data.count,
              let head = try? JSONSerialization.jsonObject(with: data.subdata(in: 14..<(14 + Int(length)))) as? [String: Any],
              let header = head["header"] as? [String: String], let arrays = head["arrays"] as? [[String: Any]] else {
            throw ProbityError.badFile(path, "damaged journal record header")
        }
        var record = Record(header: header, strings: head["strings"] as? [String: [String]] ?? [:])
        var offset = 14 + Int(length)
        for entry in arrays {
            guard let name = entry["name"] as? String, let type = entry["type"] as? String, let count = entry["count"] as? Int else {
                throw ProbityError.badFile(path, "damaged journal record directory")
            }
            let size = count * (type == "f32" ? 4 : 8)
            guard offset + size <= data.count else { throw ProbityError.badFile(path, "journal record is shorter than its directory says") }
            let bytes = data.subdata(in: offset..<(offset + size))
            if type == "f32" {
                record.floats[name] = bytes.withUnsafeBytes { raw in (0..<count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) } }
            } else {
                record.integers[name] = bytes.withUnsafeBytes { raw in (0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
            }
            offset += size
        }
        return record
    }

    public func remove(_ name: String) { try? FileManager.default.removeItem(atPath: directory + "/" + name + ".rec") }

    /// Removes the folder when no record is left in it.
    public func removeIfEmpty() {
        if names().isEmpty { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Folds the records into the HDF5 file at `path`: copies it (or starts a new file), calls
    /// `apply` on the copy for every record in name order, renames the copy over `path`, then
    /// deletes the records. Nothing happens when there are no records.
    public func fold(into path: String, _ apply: (HDF5File, Record) throws -> Void) throws {
        let pending = names()
        guard !pending.isEmpty else { return }
        let temporary = AtomicFile.temporaryPath(for: path)
        try? FileManager.default.removeItem(atPath: temporary)
        let exists = FileManager.default.fileExists(atPath: path)
        if exists {
            do { try FileManager.default.copyItem(atPath: path, toPath: temporary) } catch {
                throw ProbityError.badFile(path, "cannot copy to fold pending results in: \(error.localizedDescription)")
            }
        }
        do {
            let writer = try HDF5File(path: temporary, mode: exists ? .readWrite : .truncate)
            for name in pending { try apply(writer, try read(name)) }
            writer.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try AtomicFile.commit(temporary: temporary, to: path)
        for name in pending { remove(name) }
        removeIfEmpty()
    }
}
