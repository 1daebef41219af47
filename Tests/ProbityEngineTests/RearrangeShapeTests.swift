import XCTest
import ProbityCore
@testable import ProbityEngine

/// Shape inference of the structural ops (`Rearrange.outputShape`) computes the shape without
/// building the per-element index map; these tests hold it to the shape and the refusals of the
/// mapped path, which the parity and finite-difference tests check element by element.
final class RearrangeShapeTests: XCTestCase {
    let ops: [(Rearrange, String)] = [
        (Rearrange(.transpose(perm: [0, 2, 3, 1])), "Transpose"),
        (Rearrange(.transpose(perm: [])), "Transpose reversed"),
        (Rearrange(.slice(starts: [3, 1], ends: [0, 5], axes: [2, 3], steps: [-1, 2])), "Slice with negative step"),
        (Rearrange(.slice(starts: [-2], ends: [Int.max], axes: [-1], steps: [1])), "Slice from the end"),
        (Rearrange(.pad(pads: [0, 0, 1, 2, 0, 1, 2, 1], mode: .constant, value: 0.5)), "Pad constant"),
        (Rearrange(.pad(pads: [0, 0, -1, 0, 0, 0, 0, -2], mode: .constant, value: 0)), "Pad cropping"),
        (Rearrange(.pad(pads: [0, 0, 2, 1, 0, 0, 1, 3], mode: .reflect, value: 0)), "Pad reflect"),
        (Rearrange(.pad(pads: [0, 1, 1, 0, 0, 0, 2, 2], mode: .edge, value: 0)), "Pad edge"),
        (Rearrange(.gather(axis: 1, indices: [2, 0, 2, -1], indicesShape: [2, 2])), "Gather with repeats"),
        (Rearrange(.expand(shape: [3, 2, 3, 4, 5])), "Expand"),
    ]

    func testShapeWithoutTheMapIsTheShapeOfTheMap() throws {
        for shape in [[2, 3, 4, 5], [1, 3, 4, 5]] {
            for (op, label) in ops {
                let full = try op.layout(shape)
                XCTAssertEqual(try op.outputShape([shape]), full.shape, "\(label) on \(shape)")
                XCTAssertEqual(full.map.count, full.shape.reduce(1, *), "\(label) on \(shape)")
                XCTAssertEqual(try op.layout(shape, map: false).map, [], "\(label) on \(shape)")
            }
        }
    }

    func testShapeInferenceRefusesWhatTheMapRefuses() {
        let refused: [(Rearrange, [Int], String)] = [
            (Rearrange(.gather(axis: 1, indices: [0, 3], indicesShape: [2])), [2, 3, 4, 5], "Gather index 3 of 3"),
            (Rearrange(.gather(axis: 1, indices: [-4], indicesShape: [1])), [2, 3, 4, 5], "Gather index -4 of 3"),
            (Rearrange(.pad(pads: [0, 0, 4, 0, 0, 0, 0, 0], mode: .reflect, value: 0)), [2, 3, 4, 5], "reflect past the extent"),
            (Rearrange(.pad(pads: [0, 0, -5, 0, 0, 0, 0, 0], mode: .constant, value: 0)), [2, 3, 4, 5], "crop past the extent"),
            (Rearrange(.transpose(perm: [0, 1, 1, 2])), [2, 3, 4, 5], "perm with a repeat"),
            (Rearrange(.expand(shape: [4, 5])), [2, 3, 4, 3], "Expand to an incompatible shape"),
        ]
        for (op, shape, label) in refused {
            XCTAssertThrowsError(try op.layout(shape), label)
            XCTAssertThrowsError(try op.outputShape([shape]), label)
        }
    }
}
