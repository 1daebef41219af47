import Foundation

/// A seeded pseudo-random generator that gives the same stream on every machine:
/// xoshiro256** (Blackman & Vigna 2018, <https://prng.di.unimi.it>) seeded through SplitMix64.
///
/// Streams are derived from a seed and a path of names and numbers
/// (`RNG(seed: 7, stream: ["rise", "sample", 12])`), so a sample's random numbers do not depend
/// on which other samples share its batch or shard. Names are hashed with FNV-1a, not Swift's
/// per-process randomized `Hasher`.
public struct RNG: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        s = (RNG.splitmix(&sm), RNG.splitmix(&sm), RNG.splitmix(&sm), RNG.splitmix(&sm))
    }

    /// A generator for the stream named by `path` under `seed`.
    public init(seed: UInt64, stream path: [StreamKey]) {
        var h = seed ^ 0x9E37_79B9_7F4A_7C15
        for key in path {
            var sm = h ^ key.hash
            h = RNG.splitmix(&sm)
        }
        self.init(seed: h)
    }

    /// One component of a stream path: a name or a number.
    public enum StreamKey: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case name(String)
        case number(Int)
        public init(stringLiteral value: String) { self = .name(value) }
        public init(integerLiteral value: Int) { self = .number(value) }

        var hash: UInt64 {
            switch self {
            case .number(let n): return UInt64(bitPattern: Int64(n)) &* 0xD6E8_FEB8_6659_FD93
            case .name(let text):
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
                return h
            }
        }
    }

    static func splitmix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = RNG.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = RNG.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits (every Float in the grid is equally likely).
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Uniform Double in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by the Box–Muller transform, computed in Double.
    public mutating func normal() -> Float {
        let u1 = 1.0 - uniformDouble()          // (0, 1]: log is finite
        let u2 = uniformDouble()
        return Float((-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2))
    }

    /// Uniform integer in 0..<bound without modulo bias (Lemire's method).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next(upperBound: UInt64(bound)))
    }

    /// A tensor of uniform values in [low, high).
    public mutating func uniformTensor(shape: [Int], _ low: Float = 0, _ high: Float = 1) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = uniform(low, high) }
        return t
    }

    /// A tensor of normal values with the given mean and standard deviation.
    public mutating func normalTensor(shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = mean + std * normal() }
        return t
    }
}
