import Foundation
import XCTest
import ProbityONNX
import ProbityCore
import ProbityEngine
import ProbityExplainers
@testable import ProbityMetrics

/// Maps that carry no ranking — constant, all zero, all NaN, or a normal map with one NaN
/// pixel — get a status other than `ok` from every metric and every variant, never a number
/// that looks valid; a normal map beside them is `ok`. Metrics that re-run the method get an
/// explainer that returns the same maps.
final class DegenerateMapTests: XCTestCase {
    let (h, w) = (24, 24)

    /// The maps of samples 0…4: constant 0.5, zeros, NaN, one NaN pixel, a normal ramp.
    static func maps(h: Int, w: Int, samples: [Int]) -> Tensor {
        let plane = h * w
        var storage: [Float] = []
        for s in samples {
            var map = (0..<plane).map { Float(($0 * 37) % plane) / Float(plane) }
            switch s {
            case 0: map = [Float](repeating: 0.5, count: plane)
            case 1: map = [Float](repeating: 0, count: plane)
            case 2: map = [Float](repeating: .nan, count: plane)
            case 3: map[plane / 2] = .nan
            default: break
            }
            storage += map
        }
        return Tensor(shape: [samples.count, h, w], storage: storage)
    }

    /// Returns `maps` for its samples, whatever the model (so sanity checks see the same maps).
    struct Degenerate: Explainer {
        static let name = "degenerate"
        static let summary = "test maps"
        static let optionSpecs: [OptionSpec] = []
        let options: Options
        init(options: Options) throws { self.options = options }
        func explain(_ batch: ExplainBatch, model: Model) throws -> Attribution {
            Attribution(maps: DegenerateMapTests.maps(h: batch.height, w: batch.width, samples: batch.samples))
        }
    }

    func testEveryMetricMarksMapsWithoutARanking() throws {
        let weights = LinearModel.values(2 * h * w, seed: 3)
        let model = try LinearModel.make(w: weights, b: [0.1, -0.1], height: h, width: w)
        let twin = try LinearModel.file(w: LinearModel.values(2 * h * w, seed: 4), b: [0, 0], height: h, width: w)
        let samples = [0, 1, 2, 3, 4]
        let x = Tensor(shape: [5, 1, h, w], storage: LinearModel.values(5 * h * w, seed: 5).map { $0 * 0.5 + 0.5 })
        let region = (0..<(h * w)).map { (6..<14).contains($0 / w) && (6..<14).contains($0 % w) }
        var input = MetricInput(x: x, maps: Self.maps(h: h, w: w, samples: samples), targets: [0, 1, 0, 1, 0], samples: samples, seed: 1,
                                preprocessing: .unit(channels: 1), explainer: try Degenerate(), regions: Array(repeating: region, count: 5))
        input.loader = ModelLoader { try ONNXModel(path: $0) }   // data_randomization's twin
        var checked = 0
        for type in MetricRegistry.all {
            let options = type.name == DataRandomization.name ? ["shuffled_model": twin] : [:]
            let metric = try MetricRegistry.make(type.name, options: options)
            let out = try metric.evaluate(input, model: model)
            for v in [MetricOutput.Variant(name: "", scores: out.scores, status: out.status)] + out.variants {
                let label = "\(type.name) \(v.name)"
                for s in 0..<4 {
                    XCTAssertNotEqual(v.status[s], "ok", "\(label): sample \(s) scored \(v.scores[s]) as ok")
                }
                XCTAssertTrue(["ok", "skipped"].contains(v.status[4]), "\(label): the normal map is \(v.status[4])")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, MetricRegistry.all.count)
    }

    func testStatusOfOneScore() {
        XCTAssertEqual(MetricOutput.status(score: 0.3, map: [1, 2, .nan]), "nan")
        XCTAssertEqual(MetricOutput.status(score: 0.3, map: [1, .infinity]), "nan")
        XCTAssertEqual(MetricOutput.status(score: 0.3, map: [0, 0]), "constant")
        XCTAssertEqual(MetricOutput.status(score: .nan, map: [0, 1]), "nan")
        XCTAssertEqual(MetricOutput.status(score: 0.3, map: [0, 1]), "ok")
    }
}
