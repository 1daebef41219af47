import XCTest
import ProbityCore
import ProbityEngine
import ProbityONNX
@testable import ProbityExplainers

/// Issue 19: the CAM family by hand on a net whose gradient at the CAM layer varies over space
/// (no global pooling: Flatten → Gemm), so Grad-CAM's spatially averaged weights and Layer-CAM's
/// per-location ones give different maps, and every variant is pinned to its own formula.
///
/// x [1, 1, 2, 2] = [1, −1, 2, −0.5] → Conv 1×1 (w = [1, −2], b = [0, 0.5]) → ReLU → Flatten (8)
/// → Gemm (W [2, 8], b = [0.1, −0.2]). The CAM layer is the ReLU, A_0 = relu(x) = [1, 0, 2, 0],
/// A_1 = relu(0.5 − 2x) = [0, 2.5, 0, 1.5], and ∂y_t/∂A_{k,p} = W[t, 4k + p] (W rows below).
/// The layer is 2 × 2 like the input, so upsampling is the identity. Expected values were
/// worked out from the papers' formulas with NumPy in float64.
final class CAMValueTests: XCTestCase {
    static let w: [Float] = [1, -2, 0.5, 3, -1, 2, 1, -0.5,      // target 0: channel 0 | channel 1
                             -1, 1, 2, -2, 0.5, 0.5, -3, 1]       // target 1
    static let input = Tensor(shape: [1, 1, 2, 2], storage: [1, -1, 2, -0.5])

    static let model: Result<ONNXModel, Error> = Result {
        var g = Graph()
        let x = g.addValue(name: "input", shape: [1, 1, 2, 2])
        g.inputs = [x]
        let wc = g.addValue(name: "wc", shape: [2, 1, 1, 1], constant: Tensor(shape: [2, 1, 1, 1], storage: [1, -2]))
        let bc = g.addValue(name: "bc", shape: [2], constant: Tensor(shape: [2], storage: [0, 0.5]))
        let wf = g.addValue(name: "wf", shape: [2, 8], constant: Tensor(shape: [2, 8], storage: w))
        let bf = g.addValue(name: "bf", shape: [2], constant: Tensor(shape: [2], storage: [0.1, -0.2]))
        var h = try g.addNode(name: "conv", op: Conv(), inputs: [x, wc, bc], outputName: "conv")
        h = try g.addNode(name: "relu", op: Activation(.relu), inputs: [h], outputName: "relu")
        h = try g.addNode(name: "flatten", op: Reshape(to: [1, 8], type: "Flatten"), inputs: [h], outputName: "f")
        g.outputs = [try g.addNode(name: "fc", op: Gemm(transB: true), inputs: [h, wf, bf], outputName: "logits")]
        return try TestModels.load(g, "spatialcam")
    }

    func maps(_ explainer: any Explainer, target: Int) throws -> [Float] {
        let batch = ExplainBatch(x: Self.input, targets: [target], preprocessing: .unit(channels: 1))
        return try explainer.explain(batch, model: Self.model.get()).maps.storage
    }

    func assertEqual(_ got: [Float], _ want: [Float], _ message: String, accuracy: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, message, file: file, line: line)
        for (i, (a, b)) in zip(got, want).enumerated() { XCTAssertEqual(a, b, accuracy: accuracy, "\(message) [\(i)]", file: file, line: line) }
    }

    func testTheNetIsAsWrittenDown() throws {
        // y = W·[A_0, A_1] + b = [6.35, 5.55].
        assertEqual(try Self.model.get().logits(Self.input).storage, [6.35, 5.55], "logits")
        XCTAssertEqual(try CAM.layer("auto", model: Self.model.get()), "relu")
    }

    /// Grad-CAM: α_k = mean_p W[t, 4k + p]; target 0: α = [2.5/4, 1.5/4] → relu(α·A) =
    /// [0.625, 0.9375, 1.25, 0.5625]; target 1: α = [0, −0.25] → all zero.
    /// Layer-CAM: relu(Σ_k relu(W[t, 4k + p])·A_{k,p}); target 0: [1, 5, 1, 0]; target 1:
    /// [0, 1.25, 4, 1.5]. The two differ, so a Layer-CAM that averaged gradients fails.
    func testGradCAMAndLayerCAMByHandDiffer() throws {
        let gradcam0 = try maps(GradCAM(), target: 0), layercam0 = try maps(LayerCAM(), target: 0)
        assertEqual(gradcam0, [0.625, 0.9375, 1.25, 0.5625], "Grad-CAM target 0")
        assertEqual(try maps(GradCAM(), target: 1), [0, 0, 0, 0], "Grad-CAM target 1")
        assertEqual(layercam0, [1, 5, 1, 0], "Layer-CAM target 0")
        assertEqual(try maps(LayerCAM(), target: 1), [0, 1.25, 4, 1.5], "Layer-CAM target 1")
        XCTAssertGreaterThan(zip(gradcam0, layercam0).map { abs($0 - $1) }.max()!, 1)
    }

    /// Grad-CAM++ (pytorch-grad-cam's form, ε = 1e-6): α = g²/(2g² + ΣA·g³ + ε), w_k = Σ_p α·relu(g).
    /// Target 0, channel 0 (ΣA = 3, g = [1, −2, 0.5, 3]): 1/5 + 0.5·0.25/0.875 + 3·9/99 = 0.615584;
    /// channel 1 (ΣA = 4, g = [−1, 2, 1, −0.5]): 2·4/40 + 1/6 = 0.366667.
    func testGradCAMPlusPlusByHand() throws {
        assertEqual(try maps(GradCAMPlusPlus(), target: 0), [0.61558421, 0.91666658, 1.23116842, 0.54999995], "Grad-CAM++ target 0")
        assertEqual(try maps(GradCAMPlusPlus(), target: 1), [0.44999995, 1.04166597, 0.8999999, 0.62499958], "Grad-CAM++ target 1")
    }

    /// Score-CAM: masks (A_k − min)/(max − min + 1e-8) = [0.5, 0, 1, 0] and [0, 1, 0, 0.6]; the
    /// masked inputs x ⊙ mask score y_0 = [2.35, 4.55] and y_1 = [4.05, 0.9]; softmax over
    /// channels weights A: target 0 → [0.0998, 0.9002], target 1 → [0.9589, 0.0411].
    func testScoreCAMByHand() throws {
        assertEqual(try maps(ScoreCAM(), target: 0), [0.09975049, 2.25062378, 0.19950098, 1.35037427], "Score-CAM target 0")
        assertEqual(try maps(ScoreCAM(), target: 1), [0.95890872, 0.1027282, 1.91781744, 0.06163692], "Score-CAM target 1")
    }

    /// Guided backprop: ∂y/∂A = W[t] is kept where the ReLU is open and the gradient positive,
    /// then the 1×1 conv sums w_k times it: target 0 → 1·[1, 0, 0.5, 0] − 2·[0, 2, 0, 0] =
    /// [1, −4, 0.5, 0]; guided Grad-CAM multiplies it by Grad-CAM: [0.625, −3.75, 0.625, 0].
    /// The plain gradient here is [1, −4, 0.5, 1] (channel 1 passes W = −0.5 at p = 3), so a
    /// guided backprop that did not zero negative gradients fails.
    func testGuidedBackpropAndGuidedGradCAMByHand() throws {
        assertEqual(try maps(GuidedBackprop(), target: 0), [1, -4, 0.5, 0], "guided backprop target 0")
        assertEqual(try maps(GuidedGradCAM(), target: 0), [0.625, -3.75, 0.625, 0], "guided Grad-CAM target 0")
        // Target 1: guided [0, −1, 2, −2], Grad-CAM all zero → guided Grad-CAM zero.
        assertEqual(try maps(GuidedBackprop(), target: 1), [0, -1, 2, -2], "guided backprop target 1")
        assertEqual(try maps(GuidedGradCAM(), target: 1), [0, 0, 0, 0], "guided Grad-CAM target 1")
        // Deconvnet ignores the forward mask: relu(W[t]) through both channels:
        // target 0 → 1·[1, 0, 0.5, 3] − 2·[0, 2, 1, 0] = [1, −4, −1.5, 3].
        assertEqual(try maps(Deconvnet(), target: 0), [1, -4, -1.5, 3], "deconvnet target 0")
    }
}
