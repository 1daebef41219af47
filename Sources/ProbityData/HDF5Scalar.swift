import CHDF5

/// Element types that map onto HDF5 native types. Reads convert from the file's type (HDF5 does
/// that); schema checks look at `HDF5File.DatasetInfo` first, so a float stored where uint8 is
/// required is reported, not silently converted.
public protocol HDF5Scalar: Sendable {
    static var nativeType: hid_t { get }
    static var zero: Self { get }
}

extension Float: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_float() }; public static var zero: Float { 0 } }
extension Double: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_double() }; public static var zero: Double { 0 } }
extension UInt8: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_uint8() }; public static var zero: UInt8 { 0 } }
extension Int8: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_int8() }; public static var zero: Int8 { 0 } }
extension UInt16: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_uint16() }; public static var zero: UInt16 { 0 } }
extension Int32: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_int32() }; public static var zero: Int32 { 0 } }
extension Int64: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_int64() }; public static var zero: Int64 { 0 } }
extension UInt64: HDF5Scalar { public static var nativeType: hid_t { probity_h5t_native_uint64() }; public static var zero: UInt64 { 0 } }

/// The kind of element a dataset or attribute stores in the file.
public enum HDF5ElementKind: Equatable, Sendable, CustomStringConvertible {
    case signedInteger(bytes: Int)
    case unsignedInteger(bytes: Int)
    case float(bytes: Int)
    case string
    case other(String)

    public var description: String {
        switch self {
        case .signedInteger(let b): return "int\(b * 8)"
        case .unsignedInteger(let b): return "uint\(b * 8)"
        case .float(let b): return "float\(b * 8)"
        case .string: return "string"
        case .other(let s): return s
        }
    }

    public var isInteger: Bool {
        switch self { case .signedInteger, .unsignedInteger: return true; default: return false }
    }
    public var isFloat: Bool { if case .float = self { return true }; return false }

    init(type: hid_t) {
        let size = Int(H5Tget_size(type))
        switch H5Tget_class(type) {
        case H5T_INTEGER: self = H5Tget_sign(type) == H5T_SGN_NONE ? .unsignedInteger(bytes: size) : .signedInteger(bytes: size)
        case H5T_FLOAT: self = .float(bytes: size)
        case H5T_STRING: self = .string
        case H5T_ENUM: self = .other("enum")
        case H5T_COMPOUND: self = .other("compound")
        default: self = .other("class \(H5Tget_class(type).rawValue)")
        }
    }
}
