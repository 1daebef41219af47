import XCTest
@testable import ProbityEngine

/// The chunk sizes batched evaluations and backward passes run in, against counts worked out
/// by hand.
final class ChunkingTests: XCTestCase {
    /// Forward chunks: ⌈n / limit⌉ chunks differing by at most one, larger first.
    func testForwardChunksAreEqualWithinOne() {
        XCTAssertEqual(Chunking.sizes(225, limit: 32), [29] + [Int](repeating: 28, count: 7))
        XCTAssertEqual(Chunking.sizes(64, limit: 32), [32, 32])
        XCTAssertEqual(Chunking.sizes(5, limit: 32), [5])
        XCTAssertEqual(Chunking.sizes(0, limit: 32), [])
        XCTAssertEqual(Chunking.ranges(7, limit: 3), [0..<3, 3..<5, 5..<7])
    }

    /// Padded backward chunks: one chunk more than the fewest when that takes fewer
    /// sample-steps per thread. 50 at 16: 4 × 13 pads 2 rows and takes 4 · 7 = 28 steps on two
    /// threads; 5 × 10 pads none and takes 5 · 5 = 25 (on one thread 50 against 52).
    /// 17 at 16 on two threads: [9, 8] takes 2 · 5 = 10 steps, [6, 6, 5] 3 · 3 = 9; on one
    /// thread 18 both ways, so the fewer chunks. 51: [13, 13, 13, 12] takes 28 on two threads,
    /// five chunks of ≤ 11 take 30.
    func testPaddedBackwardChunksBalanceThreads() {
        XCTAssertEqual(Chunking.paddedSizes(50, limit: 16, threads: 2), [10, 10, 10, 10, 10])
        XCTAssertEqual(Chunking.paddedSizes(50, limit: 16, threads: 1), [10, 10, 10, 10, 10])
        XCTAssertEqual(Chunking.paddedSizes(17, limit: 16, threads: 2), [6, 6, 5])
        XCTAssertEqual(Chunking.paddedSizes(17, limit: 16, threads: 1), [9, 8])
        XCTAssertEqual(Chunking.paddedSizes(51, limit: 16, threads: 2), [13, 13, 13, 12])
        XCTAssertEqual(Chunking.paddedSizes(32, limit: 16, threads: 2), [16, 16])
        XCTAssertEqual(Chunking.paddedSizes(8, limit: 16, threads: 2), [8])
        XCTAssertEqual(Chunking.paddedSizes(1, limit: 16, threads: 2), [1])
        XCTAssertEqual(Chunking.paddedSizes(0, limit: 16, threads: 2), [])
    }

    /// Lanes' parts: `count` parts differing by at most one, larger first, never empty.
    func testPartsAreEqualWithinOne() {
        XCTAssertEqual(Chunking.sizes(50, count: 2), [25, 25])
        XCTAssertEqual(Chunking.sizes(101, count: 2), [51, 50])
        XCTAssertEqual(Chunking.sizes(7, count: 3), [3, 2, 2])
        XCTAssertEqual(Chunking.sizes(2, count: 8), [1, 1])
        XCTAssertEqual(Chunking.sizes(0, count: 2), [])
    }
}
