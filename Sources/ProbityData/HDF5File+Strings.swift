import CHDF5
import Foundation
import ProbityCore

/// Strings and attributes, written the way h5py writes them (variable-length UTF-8), read
/// whether variable-length or fixed-length.
extension HDF5File {
    /// A value of an attribute.
    public enum Attribute: Sendable, Equatable {
        case floats([Double])
        case integers([Int64])
        case string(String)
        case strings([String])

        public var floatArray: [Float]? {
            switch self {
            case .floats(let v): return v.map { Float($0) }
            case .integers(let v): return v.map { Float($0) }
            default: return nil
            }
        }
        public var integer: Int64? {
            switch self {
            case .integers(let v) where v.count == 1: return v[0]
            case .floats(let v) where v.count == 1 && v[0] == v[0].rounded(): return Int64(v[0])
            default: return nil
            }
        }
        public var text: String? {
            switch self {
            case .string(let s): return s
            case .strings(let v) where v.count == 1: return v[0]
            default: return nil
            }
        }
    }

    static func vlenStringType() -> hid_t {
        let t = H5Tcopy(probity_h5t_c_s1())
        H5Tset_size(t, probity_h5t_variable())
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    /// Reads strings of `type` from an object via `read(memType, buffer)`; `file` and
    /// `location` name it in errors and for the watchdog. A failed read throws `what`, or, when
    /// libhdf5 ran out of the room `HDF5StringGuard` leaves it, says a string length is damaged.
    static func readStrings(type fileType: hid_t, count n: Int, file: String, location: String, what: String,
                            read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        if H5Tis_variable_str(fileType) > 0 {
            let mem = vlenStringType(); defer { H5Tclose(mem) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            let (status, capped) = HDF5StringGuard.run(file, location) { pointers.withUnsafeMutableBytes { read(mem, $0.baseAddress!) } }
            if status < 0 {
                let failure = HDF5File.failure(file, location, what)
                if capped, case .badInput(_, _, let problem) = failure, problem.contains("memory allocation failed") {
                    throw ProbityError.badInput(file: file, location: location, problem: "a string declares more than the \(HDF5File.maxReadBytes >> 20) MiB Probity reads at once (a damaged string length?)")
                }
                throw failure
            }
            defer {
                var dims = [hsize_t(n)]
                let space = H5Screate_simple(1, &dims, nil)
                pointers.withUnsafeMutableBytes { _ = H5Dvlen_reclaim(mem, space, probity_h5p_default(), $0.baseAddress) }
                H5Sclose(space)
            }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        } else {
            let size = Int(H5Tget_size(fileType))
            let mem = H5Tcopy(probity_h5t_c_s1()); defer { H5Tclose(mem) }
            H5Tset_size(mem, size)
            H5Tset_strpad(mem, H5T_STR_NULLPAD)
            var bytes = [UInt8](repeating: 0, count: Swift.max(n * size, 1))
            let status = bytes.withUnsafeMutableBytes { read(mem, $0.baseAddress!) }
            if status < 0 { throw HDF5File.failure(file, location, what) }
            return (0..<n).map { i in
                let slice = bytes[(i * size)..<((i + 1) * size)]
                return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }

    /// A 1-D dataset of strings (h5py `string_dtype()` or fixed-length bytes).
    public func readStrings(_ dataset: String) throws -> [String] {
        try withDataset(dataset) { d in
            let type = H5Dget_type(d); defer { H5Tclose(type) }
            guard H5Tget_class(type) == H5T_STRING else {
                throw ProbityError.badInput(file: path, location: dataset, problem: "expected strings, found \(HDF5ElementKind(type: type))")
            }
            let space = H5Dget_space(d); defer { H5Sclose(space) }
            let n = Int(H5Sget_simple_extent_npoints(space))
            try checkReadSize(HDF5File.product([n, Swift.max(Int(H5Tget_size(type)), 8)]), of: UInt8.self, dataset)
            return try HDF5File.readStrings(type: type, count: n, file: path, location: dataset, what: "cannot read strings") { mem, buf in
                H5Dread(d, mem, probity_h5s_all(), probity_h5s_all(), probity_h5p_default(), buf)
            }
        }
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings (what h5py writes for `str`).
    public func writeStrings(_ dataset: String, _ strings: [String]) throws {
        try locked {
            try remove(dataset)
            var dims = [hsize_t(strings.count)]
            let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
            let type = HDF5File.vlenStringType(); defer { H5Tclose(type) }
            let lcpl = linkCreation(); defer { H5Pclose(lcpl) }
            let d = H5Dcreate2(id, dataset, type, space, lcpl, probity_h5p_default(), probity_h5p_default())
            if d < 0 { throw fail(dataset, "cannot create string dataset") }
            defer { H5Dclose(d) }
            let status = HDF5File.withCStrings(strings) { ptrs in
                H5Dwrite(d, type, probity_h5s_all(), probity_h5s_all(), probity_h5p_default(), ptrs)
            }
            if status < 0 { throw fail(dataset, "cannot write strings") }
        }
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafeRawPointer) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeBytes { body($0.baseAddress!) }
    }

    // MARK: Attributes

    /// Opens the object (group or dataset) that holds attributes.
    func withObject<T>(_ object: String, _ body: (hid_t) throws -> T) throws -> T {
        try locked {
            guard object == "/" || exists(object) else { throw ProbityError.badInput(file: path, location: object, problem: "missing object") }
            let o = H5Oopen(id, object, probity_h5p_default())
            if o < 0 { throw fail(object, "cannot open object") }
            defer { H5Oclose(o) }
            return try body(o)
        }
    }

    /// The attribute `name` on `object` (default the root group), or nil if absent.
    public func attribute(_ name: String, on object: String = "/") throws -> Attribute? {
        try withObject(object) { o in
            guard H5Aexists(o, name) > 0 else { return nil }
            let a = H5Aopen(o, name, probity_h5p_default())
            if a < 0 { throw fail("\(object)@\(name)", "cannot open attribute") }
            defer { H5Aclose(a) }
            let type = H5Aget_type(a); defer { H5Tclose(type) }
            let space = H5Aget_space(a); defer { H5Sclose(space) }
            let n = Swift.max(Int(H5Sget_simple_extent_npoints(space)), 1)
            try checkReadSize(HDF5File.product([n, Swift.max(Int(H5Tget_size(type)), 8)]), of: UInt8.self, "\(object)@\(name)")
            let isScalar = H5Sget_simple_extent_ndims(space) == 0
            switch H5Tget_class(type) {
            case H5T_STRING:
                let s = try HDF5File.readStrings(type: type, count: n, file: path, location: "\(object)@\(name)", what: "cannot read string attribute") { mem, buf in
                    H5Aread(a, mem, buf)
                }
                return isScalar ? .string(s.first ?? "") : .strings(s)
            case H5T_INTEGER:
                var v = [Int64](repeating: 0, count: n)
                if H5Aread(a, probity_h5t_native_int64(), &v) < 0 { throw fail("\(object)@\(name)", "cannot read attribute") }
                return .integers(v)
            case H5T_FLOAT:
                var v = [Double](repeating: 0, count: n)
                if H5Aread(a, probity_h5t_native_double(), &v) < 0 { throw fail("\(object)@\(name)", "cannot read attribute") }
                return .floats(v)
            default:
                throw ProbityError.badInput(file: path, location: "\(object)@\(name)", problem: "unsupported attribute type \(HDF5ElementKind(type: type))")
            }
        }
    }

    /// Sets attribute `name` on `object` (replacing it). Floats are stored as float32 arrays,
    /// integers as int64, strings as variable-length UTF-8 scalars (as h5py does).
    public func setAttribute(_ name: String, _ value: Attribute, on object: String = "/") throws {
        try withObject(object) { o in
            if H5Aexists(o, name) > 0 { H5Adelete(o, name) }
            func make(_ type: hid_t, _ space: hid_t, _ write: (hid_t) -> herr_t) throws {
                let a = H5Acreate2(o, name, type, space, probity_h5p_default(), probity_h5p_default())
                if a < 0 { throw fail("\(object)@\(name)", "cannot create attribute") }
                defer { H5Aclose(a) }
                if write(a) < 0 { throw fail("\(object)@\(name)", "cannot write attribute") }
            }
            switch value {
            case .floats(let v):
                var dims = [hsize_t(v.count)]
                let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
                let f = v.map { Float($0) }
                try make(probity_h5t_native_float(), space) { a in H5Awrite(a, probity_h5t_native_float(), f) }
            case .integers(let v):
                let space = v.count == 1 ? H5Screate(H5S_SCALAR) : { var dims = [hsize_t(v.count)]; return H5Screate_simple(1, &dims, nil) }()
                defer { H5Sclose(space) }
                try make(probity_h5t_native_int64(), space) { a in H5Awrite(a, probity_h5t_native_int64(), v) }
            case .string(let s):
                let space = H5Screate(H5S_SCALAR); defer { H5Sclose(space) }
                let type = HDF5File.vlenStringType(); defer { H5Tclose(type) }
                try make(type, space) { a in HDF5File.withCStrings([s]) { H5Awrite(a, type, $0) } }
            case .strings(let v):
                var dims = [hsize_t(v.count)]
                let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
                let type = HDF5File.vlenStringType(); defer { H5Tclose(type) }
                try make(type, space) { a in HDF5File.withCStrings(v) { H5Awrite(a, type, $0) } }
            }
        }
    }
}
