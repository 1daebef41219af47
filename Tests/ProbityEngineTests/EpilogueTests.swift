import XCTest
import ProbityCore
@testable import ProbityEngine

/// The fused convolution epilogue (bias, then ReLU or a clip such as ReLU6, in one pass) gives
/// the values of adding the bias first and applying the activation after, bit for bit —
/// signed zeros, values on the clip bounds and NaN included.
final class EpilogueTests: XCTestCase {
    func testFusedBiasAndActivationEqualTheTwoPasses() {
        var rng = RNG(seed: 5)
        var values = (0..<203).map { _ in rng.uniform(-8, 8) }
        values += [0, -0.0, 6, -6, 5.9999995, 6.0000005, .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for bias: Float in [0.25, -0.5, 6, 1e-7] {
            for kind: Activation.Kind in [.relu, .clip(min: 0, max: 6), .clip(min: -1, max: 1), .identity] {
                var fused = values, reference = values
                fused.withUnsafeMutableBufferPointer { Conv.epilogue($0.baseAddress!, count: $0.count, bias: bias, kind) }
                reference.withUnsafeMutableBufferPointer { p in
                    for i in p.indices { p[i] += bias }
                    if kind != .identity { Activation.apply(kind, from: p.baseAddress!, to: p.baseAddress!, count: p.count) }
                }
                XCTAssertEqual(fused.map(\.bitPattern), reference.map(\.bitPattern), "\(kind), bias \(bias)")
            }
        }
    }
}
