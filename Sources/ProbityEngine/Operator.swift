import ProbityCore

/// A read-only view of a value's storage during execution.
public struct ConstView {
    public init(pointer: UnsafePointer<Float>, shape: [Int]) { self.pointer = pointer; self.shape = shape }
    public let pointer: UnsafePointer<Float>
    public let shape: [Int]
    @inlinable public var count: Int { shape.reduce(1, *) }
    @inlinable public subscript(_ i: Int) -> Float { pointer[i] }
}

/// A writable view of a value's storage during execution.
public struct MutableView {
    public init(pointer: UnsafeMutablePointer<Float>, shape: [Int]) { self.pointer = pointer; self.shape = shape }
    public let pointer: UnsafeMutablePointer<Float>
    public let shape: [Int]
    @inlinable public var count: Int { shape.reduce(1, *) }
    public var readOnly: ConstView { ConstView(pointer: UnsafePointer(pointer), shape: shape) }
}

/// One engine operation: shape inference and a forward kernel (the backward kernels are
/// added beside each forward in Engine II). Ops are values (structs) holding their
/// attributes; they know nothing of ONNX protobufs or of explainers.
public protocol Operator: Sendable {
    /// The ONNX op type this implements, for reports and errors.
    var type: String { get }
    /// Output shape from input shapes (throws on shapes the op cannot take).
    func outputShape(_ inputs: [[Int]]) throws -> [Int]
    /// Computes the output from the inputs. Shapes were checked by `outputShape`.
    /// `output` never aliases an input.
    func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext)
    /// FLOPs (2 × multiply-adds) of one run; 0 for ops without multiply-adds.
    func flops(inputs: [[Int]], output: [Int]) -> Int
    /// A copy prepared for fixed input shapes (index maps computed once). Default: self.
    func planned(for inputs: [[Int]]) -> any Operator
}

extension Operator {
    public func flops(inputs: [[Int]], output: [Int]) -> Int { 0 }
    public func planned(for inputs: [[Int]]) -> any Operator { self }
}

/// Errors of shape inference name the op and the shapes.
func shapeError(_ op: String, _ message: String) -> ProbityError {
    .invalidArgument("\(op): \(message)")
}
