import XCTest
import ProbityCore
import ProbityData
import ProbityONNX
@testable import ProbityExplainers

/// Probity's maps against Captum's on 2 photos with EfficientNet-Lite0 (fixture and recipe in
/// `Tests/Fixtures`): Spearman rank correlation ≥ 0.95 per photo and method, at the defaults.
final class CaptumParityTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    static func spearman(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        func ranks(_ v: [Float]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            var i = 0
            while i < order.count {   // average ranks for ties
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                for k in i...j { r[order[k]] = Double(i + j) / 2 }
                i = j + 1
            }
            return r
        }
        let ra = ranks(Array(a)), rb = ranks(Array(b))
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        var num = 0.0, da = 0.0, db = 0.0
        for i in ra.indices { num += (ra[i] - ma) * (rb[i] - mb); da += (ra[i] - ma) * (ra[i] - ma); db += (rb[i] - mb) * (rb[i] - mb) }
        return num / (da * db).squareRoot()
    }

    func testMapsAgreeWithCaptum() throws {
        let model = try ONNXModel(path: CaptumParityTests.path("models/efficientnet_lite0.onnx"))
        let parity = try HDF5File(path: CaptumParityTests.path("Tests/Fixtures/efficientnet_lite0.expected.h5"))
        let pixels = Array(try parity.read("/images", as: UInt8.self)[0..<(2 * 224 * 224 * 3)])
        let preprocessing = Preprocessing(scale: [2, 2, 2], offset: [-1, -1, -1])
        let x = preprocessing.modelInput(pixels: pixels, count: 2, height: 224, width: 224)
        let captum = try HDF5File(path: CaptumParityTests.path("Tests/Fixtures/captum_lite0.h5"))
        let targets = try captum.read("/targets", as: Int64.self).map(Int.init)
        XCTAssertEqual(targets, [285, 967])
        XCTAssertEqual(try CAM.layer("auto", model: model), try captum.attribute("gradcam_layer")?.text)
        let batch = ExplainBatch(x: x, targets: targets, preprocessing: preprocessing)
        for name in ["saliency", "integrated_gradients", "gradcam", "occlusion"] {
            let ours = try ExplainerRegistry.make(name).explain(batch, model: model).maps
            let theirs = try captum.read("/\(name)", as: Float.self)
            for s in 0..<2 {
                let range = (s * 224 * 224)..<((s + 1) * 224 * 224)
                let rho = CaptumParityTests.spearman(ours.storage[range], theirs[range])
                print("Captum parity \(name), photo \(s): Spearman \(rho)")
                XCTAssertGreaterThanOrEqual(rho, 0.95, "\(name), photo \(s)")
            }
        }
    }
}
