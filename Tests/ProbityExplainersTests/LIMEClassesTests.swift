import XCTest
import ProbityCore
import ProbityEngine
@testable import ProbityExplainers

/// LIME for several classes at once (the tutorial's `top_labels`): the perturbed images are
/// scored once, and each class's weights are exactly those of explaining that class alone.
final class LIMEClassesTests: XCTestCase {
    func testSeveralClassesEqualEachExplainedAlone() throws {
        let model = try TestModels.convNet(channels: 3, size: 12, classes: 3, activation: .relu, seed: 4)
        var rng = RNG(seed: 9, stream: ["lime-classes"])
        let x = rng.normalTensor(shape: [1, 3, 12, 12], std: 0.5)
        let lime = try LIME(["samples": "120", "segmentation": "grid", "cells": "3"])
        let batch = ExplainBatch(x: x, targets: [0], samples: [0], seed: 1, preprocessing: TestModels.unit)
        let (segments, weights) = try lime.superpixelWeights(batch, sample: 0, classes: [2, 0, 1], model: model)
        XCTAssertEqual(segments.count, 9)
        for (n, cls) in [2, 0, 1].enumerated() {
            let alone = ExplainBatch(x: x, targets: [cls], samples: [0], seed: 1, preprocessing: TestModels.unit)
            let (_, coefficients) = try lime.fit(alone, sample: 0, model: model)
            XCTAssertEqual(weights[n], coefficients, "class \(cls)")
        }
        XCTAssertNotEqual(weights[0], weights[1])
    }
}
