/// ONNX Where on run-time values: y = condition ? x : y element by element, the three inputs
/// broadcast together (NumPy rules). The condition is a float tensor, true where non-zero (a
/// boolean constant imports as 1/0).
///
/// Backward: the gradient goes to x where the condition holds and to y elsewhere (summed over
/// broadcast axes); the condition gets none. Under LRP rules relevance is routed the same way,
/// so it is conserved.
public struct Where: Operator {
    public var type: String { "Where" }
    public init() {}

    public func outputShape(_ inputs: [[Int]]) throws -> [Int] {
        guard inputs.count == 3 else { throw shapeError(type, "expects condition, X and Y") }
        return try IndexMaps.broadcastShape(IndexMaps.broadcastShape(inputs[0], inputs[1]), inputs[2])
    }

    func maps(_ shapes: [[Int]], _ out: [Int]) -> [[Int]?] {
        shapes.map { $0 == out ? nil : IndexMaps.broadcast($0, to: out) }
    }

    public func forward(_ inputs: [ConstView], _ output: MutableView, _ context: ExecutionContext) {
        let m = maps(inputs.map(\.shape), output.shape)
        let c = inputs[0].pointer, x = inputs[1].pointer, y = inputs[2].pointer, out = output.pointer
        for i in 0..<output.count {
            out[i] = c[m[0]?[i] ?? i] != 0 ? x[m[1]?[i] ?? i] : y[m[2]?[i] ?? i]
        }
    }

    public func backward(_ args: BackwardArguments, _ context: ExecutionContext) {
        let m = maps(args.inputs.map(\.shape), args.gradOutput.shape)
        let c = args.inputs[0].pointer, g = args.gradOutput.pointer
        let gx = args.gradInputs[1], gy = args.gradInputs[2]
        for i in 0..<args.gradOutput.count {
            if c[m[0]?[i] ?? i] != 0 { gx?.pointer[m[1]?[i] ?? i] += g[i] } else { gy?.pointer[m[2]?[i] ?? i] += g[i] }
        }
    }
}
