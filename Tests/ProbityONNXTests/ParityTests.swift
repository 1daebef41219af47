import XCTest
import ProbityCore
import ProbityData
@testable import ProbityONNX

/// EfficientNet-Lite0 against ONNX Runtime: the fixture holds ONNX Runtime's logits for the 8
/// photos (input = pixel/255·2 − 1).
final class ParityTests: XCTestCase {
    static let model = Result { try ONNXModel(path: Paths.lite0) }

    func fixtureInput() throws -> (Tensor, Tensor) {
        let f = try HDF5File(path: Paths.lite0Fixture)
        let pixels = try f.read("/images", as: UInt8.self)
        let x = Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1]).modelInput(pixels: pixels, count: 8, height: 224, width: 224)
        let logits = Tensor(shape: [8, 1000], storage: try f.read("/logits", as: Float.self))
        return (x, logits)
    }

    func testLogitsMatchONNXRuntime() throws {
        let model = try ParityTests.model.get()
        let (x, expected) = try fixtureInput()
        let logits = try model.logits(x)
        XCTAssertEqual(logits.shape, [8, 1000])
        let worst = logits.maxAbsDifference(expected)
        XCTAssertLessThanOrEqual(worst, 1e-3, "largest logit difference to ONNX Runtime")
        XCTAssertEqual(logits.argmaxRows(), expected.argmaxRows())
        XCTAssertEqual(logits.argmaxRows(), [285, 967, 450, 657, 665, 619, 971, 652])
        print("Lite0 parity: max |Δlogit| = \(worst)")
    }

    /// A sample's logits are the same alone and inside a batch of 32.
    func testBatchDoesNotChangeASample() throws {
        let model = try ParityTests.model.get()
        let (x, _) = try fixtureInput()
        let batch = Tensor.concatenate(batch: [x, x, x, x])          // 32 samples
        let together = try model.logits(batch)
        for i in [0, 3, 7] {
            let alone = try model.logits(x.item(i))
            XCTAssertEqual(alone.storage, together.slice(batch: (i + 8)..<(i + 9)).storage, "sample \(i): bit-identical alone and in a batch of 32")
        }
    }
}
