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

/// What an op's backward kernel gets: the forward inputs and output (kept by the plan), the
/// gradient (or relevance) arriving at the output, and where to add the input gradients.
public struct BackwardArguments {
    public var inputs: [ConstView]
    public var output: ConstView
    /// dL/dy. The op may overwrite it (the plan never reads it again), e.g. to apply a fused
    /// activation's derivative in place.
    public var gradOutput: MutableView
    /// dL/dx for each input, to be *added to* (a value read twice gets both contributions);
    /// nil where no gradient is wanted (weights when only the input gradient is asked for).
    public var gradInputs: [MutableView?]
    public var rule: NodeRule
    /// For each input, whether its gradient holds no contribution yet and its memory is
    /// unspecified, so the op must *write* all of it rather than add to it. Set only where the
    /// op said it can (`Operator.writesFreshGradient`); the plan then skips zeroing the buffer
    /// first, a pass over every gradient element of the model. Empty: none is fresh.
    public var fresh: [Bool]

    public init(inputs: [ConstView], output: ConstView, gradOutput: MutableView, gradInputs: [MutableView?], rule: NodeRule = .gradient,
                fresh: [Bool] = []) {
        self.inputs = inputs; self.output = output; self.gradOutput = gradOutput; self.gradInputs = gradInputs; self.rule = rule
        self.fresh = fresh
    }

    /// Whether input `index`'s gradient is to be written whole rather than added to.
    @inlinable public func isFresh(_ index: Int) -> Bool { index < fresh.count && fresh[index] }
}

/// One engine operation: shape inference, a forward kernel and its vector-Jacobian product.
/// Ops are values (structs) holding their attributes; they know nothing of ONNX protobufs or
/// of explainers.
public protocol Operator: Sendable {
    /// The ONNX op type this implements, for reports and errors.
    var type: String { get }
    /// Output shape from input shapes (throws on shapes the op cannot take).
    func outputShape(_ inputs: [[Int]]) throws -> [Int]
    /// Computes the output from the inputs. Shapes were checked by `outputShape`.
    /// `output` never aliases an input.
    func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext)
    /// Adds the vector-Jacobian product of `args.gradOutput` to each requested input gradient,
    /// under `args.rule` (the chain rule, or a modified rule for ops it concerns).
    func backward(_ args: BackwardArguments, _ context: ExecutionContext)
    /// FLOPs (2 × multiply-adds) of one run; 0 for ops without multiply-adds.
    func flops(inputs: [[Int]], output: [Int]) -> Int
    /// A copy prepared for fixed input shapes (index maps computed once). Default: self.
    func planned(for inputs: [[Int]]) -> any Operator
    /// Whether `backward` under `rule`, for inputs of these shapes and this output shape,
    /// writes every element of input `index`'s gradient when `BackwardArguments.fresh` asks it
    /// to (instead of adding to a zeroed buffer). Default: false.
    func writesFreshGradient(input index: Int, rule: NodeRule, inputs: [[Int]], output: [Int]) -> Bool
}

extension Operator {
    public func flops(inputs: [[Int]], output: [Int]) -> Int { 0 }
    public func planned(for inputs: [[Int]]) -> any Operator { self }
    public func writesFreshGradient(input index: Int, rule: NodeRule, inputs: [[Int]], output: [Int]) -> Bool { false }
}

/// Errors of shape inference name the op and the shapes.
func shapeError(_ op: String, _ message: String) -> ProbityError {
    .invalidArgument("\(op): \(message)")
}
