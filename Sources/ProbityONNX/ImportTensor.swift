import Foundation
import ProbityCore

/// A tensor known at import time: weights, `Constant` outputs and folded shape arithmetic.
/// Float types become `.float`; integer and boolean types become `.int` (int64), which is what
/// shape subgraphs compute with.
struct ImportTensor: Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        case float([Float])
        case int([Int64])
    }
    var shape: [Int]
    var storage: Storage
    /// The ONNX element type (TensorProto.DataType) it came with or was cast to.
    var dataType: Int32

    var count: Int { shape.reduce(1, *) }
    var isFloat: Bool { if case .float = storage { return true }; return false }

    var floats: [Float] {
        switch storage { case .float(let v): return v; case .int(let v): return v.map { Float($0) } }
    }
    /// Values as Int, clamping int64 extremes (Slice uses ±2^63−1 as "to the end").
    /// The values as doubles (exact for int64 up to 2^53 and for every float).
    var doubles: [Double] {
        switch storage { case .float(let v): return v.map(Double.init); case .int(let v): return v.map(Double.init) }
    }
    var ints: [Int] {
        switch storage {
        case .int(let v): return v.map { Int($0) }
        case .float(let v): return v.map { $0.isFinite ? Int(Swift.max(Swift.min($0, 9e18), -9e18)) : ($0 > 0 ? Int.max : Int.min) }
        }
    }
    var tensor: Tensor { Tensor(shape: shape, storage: floats) }

    init(shape: [Int], storage: Storage, dataType: Int32) {
        self.shape = shape; self.storage = storage; self.dataType = dataType
    }
    init(_ tensor: Tensor) { self.init(shape: tensor.shape, storage: .float(tensor.storage), dataType: 1) }
    init(ints: [Int], shape: [Int]? = nil) { self.init(shape: shape ?? [ints.count], storage: .int(ints.map { Int64($0) }), dataType: 7) }

    static func isFloatType(_ t: Int32) -> Bool { t == 1 || t == 10 || t == 11 }

    /// Decodes an ONNX TensorProto (raw_data or typed fields).
    init(proto: Onnx_TensorProto, file: String) throws {
        let shape = proto.dims.map { Int($0) }
        let n = shape.reduce(1, *)
        let type = proto.dataType
        let location = "initializer \(proto.name)"
        var proto = proto
        if proto.dataLocation == .external {
            proto.rawData = try ImportTensor.externalBytes(proto, file: file, location: location)
        }
        func check(_ count: Int) throws {
            guard count == n else { throw ProbityError.badInput(file: file, location: location, problem: "has \(count) values for shape \(shape)") }
        }
        let raw = proto.rawData
        func rawValues<T>(_: T.Type) throws -> [T] {
            try check(raw.count / MemoryLayout<T>.size)
            guard raw.count == n * MemoryLayout<T>.size else { throw ProbityError.badInput(file: file, location: location, problem: "raw data size \(raw.count) does not fit shape \(shape)") }
            return raw.withUnsafeBytes { buffer in (0..<n).map { buffer.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
        }
        let useRaw = !raw.isEmpty
        switch type {
        case 1: // FLOAT
            let v = useRaw ? try rawValues(Float.self) : proto.floatData
            try check(v.count); self.init(shape: shape, storage: .float(v), dataType: type)
        case 11: // DOUBLE
            let v = useRaw ? try rawValues(Double.self) : proto.doubleData
            try check(v.count); self.init(shape: shape, storage: .float(v.map { Float($0) }), dataType: type)
        case 10: // FLOAT16
            let bits: [UInt16] = useRaw ? try rawValues(UInt16.self) : proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            try check(bits.count); self.init(shape: shape, storage: .float(bits.map { Float(Float16(bitPattern: $0)) }), dataType: type)
        case 7: // INT64
            let v = useRaw ? try rawValues(Int64.self) : proto.int64Data
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        case 6: // INT32
            let v = useRaw ? try rawValues(Int32.self).map { Int64($0) } : proto.int32Data.map { Int64($0) }
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        case 2, 9: // UINT8, BOOL
            let v = useRaw ? try rawValues(UInt8.self).map { Int64($0) } : proto.int32Data.map { Int64($0) }
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        case 3: // INT8
            let v = useRaw ? try rawValues(Int8.self).map { Int64($0) } : proto.int32Data.map { Int64($0) }
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        case 4, 5: // UINT16, INT16
            let v = useRaw ? (type == 4 ? try rawValues(UInt16.self).map { Int64($0) } : try rawValues(Int16.self).map { Int64($0) }) : proto.int32Data.map { Int64($0) }
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        case 12, 13: // UINT32, UINT64
            let v = useRaw ? (type == 12 ? try rawValues(UInt32.self).map { Int64($0) } : try rawValues(UInt64.self).map { Int64(bitPattern: $0) }) : proto.uint64Data.map { Int64(bitPattern: $0) }
            try check(v.count); self.init(shape: shape, storage: .int(v), dataType: type)
        default:
            throw ProbityError.badInput(file: file, location: location, problem: "element type \(type) is not supported (float, double, float16 and integer types are)")
        }
    }

    /// The bytes of a tensor stored outside the model (`data_location = EXTERNAL`: what the
    /// dynamo exporter and `onnx.save(..., save_as_external_data=True)` write): `location` is a
    /// file beside the model (a relative path that stays in the model's folder: no absolute path,
    /// no `..`), read from `offset` for `length` bytes (to its end without `length`).
    static func externalBytes(_ proto: Onnx_TensorProto, file: String, location: String) throws -> Data {
        var entries: [String: String] = [:]
        for e in proto.externalData { entries[e.key] = e.value }
        guard let name = entries["location"], !name.isEmpty else {
            throw ProbityError.badInput(file: file, location: location, problem: "external data without a location")
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.hasPrefix("/"), !parts.contains(".."), !name.contains("\\") else {
            throw ProbityError.badInput(file: file, location: location, problem: "external data location \(name) leaves the model's folder")
        }
        let path = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(name).path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ProbityError.badInput(file: file, location: location, problem: "external data file \(path) is missing (keep it beside the model)")
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].flatMap { Int($0) } ?? (size - Swift.max(offset, 0))
        guard offset >= 0, length >= 0, offset + length <= size else {
            throw ProbityError.badInput(file: file, location: location, problem: "external data \(name) has \(size) bytes, but offset \(offset) + length \(length) reach past its end")
        }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: length) ?? Data()
    }

    /// Casts to ONNX type `to` (float types stay float; integer types truncate toward zero; bool is ≠ 0).
    func cast(to type: Int32) throws -> ImportTensor {
        guard ImportTensor.isFloatType(type) || [2, 3, 4, 5, 6, 7, 9, 12, 13].contains(type) else {
            throw ProbityError.unsupported("Cast to element type \(type) (bfloat16, strings and complex types are not supported)")
        }
        if ImportTensor.isFloatType(type) { return ImportTensor(shape: shape, storage: .float(floats), dataType: type) }
        switch storage {
        case .int(let v): return ImportTensor(shape: shape, storage: .int(type == 9 ? v.map { $0 != 0 ? 1 : 0 } : v), dataType: type)
        case .float(let v):
            let ints: [Int64] = v.map { type == 9 ? ($0 != 0 ? 1 : 0) : ($0.isFinite ? Int64($0.rounded(.towardZero)) : 0) }
            return ImportTensor(shape: shape, storage: .int(ints), dataType: type)
        }
    }
}

/// Attribute access by name with ONNX defaults.
extension Onnx_NodeProto {
    func attribute(_ name: String) -> Onnx_AttributeProto? { attribute.first { $0.name == name } }
    func int(_ name: String, _ fallback: Int) -> Int { attribute(name).map { Int($0.i) } ?? fallback }
    func float(_ name: String, _ fallback: Float) -> Float { attribute(name).map { $0.f } ?? fallback }
    func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map { Int($0) } } }
    func floats(_ name: String) -> [Float]? { attribute(name).map { $0.floats } }
    func string(_ name: String, _ fallback: String) -> String {
        attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? fallback
    }
    /// The node's name for messages: its own name, or its first output's.
    var label: String { name.isEmpty ? "\(opType) → \(output.first ?? "?")" : "\(name) (\(opType))" }
}
