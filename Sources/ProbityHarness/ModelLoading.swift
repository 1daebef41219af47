import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityONNX

/// Loading the model a run uses, the same way in every command: extents the ONNX file leaves
/// symbolic (height and width, often) come from the dataset's images, and a dataset whose
/// images do not fit the model is refused with one message that says how to fix it.
public enum ModelLoading {
    public static func load(_ path: String, for dataset: Dataset, maxBatch: Int = 32) throws -> ONNXModel {
        let model = try ONNXModel(path: path, inputShape: [dataset.channels, dataset.height, dataset.width], maxBatch: maxBatch)
        guard [dataset.channels, dataset.height, dataset.width] == model.inputShape else {
            let shape = model.inputShape
            // [H, W, C] with C = the images' channels: a TensorFlow/Keras-style channels-last export.
            if shape.count == 3, shape[2] == dataset.channels, shape[0] > 4, shape[1] > 4 {
                throw ProbityError.badFile(path, "takes \(shape.map(String.init).joined(separator: "×")) images, which looks channels-last (NHWC: height × width × channels); Probity feeds NCHW (channels × height × width, as PyTorch exports): export the model channels-first, or add a Transpose with perm 0,3,1,2 at its input")
            }
            if dataset.channels != shape[0] {
                let fix = [1, 3].contains(shape[0]) ? "import the images again with `probity dataset import-images --channels \(shape[0])`" : "the model does not take gray or RGB images"
                throw ProbityError.badFile(dataset.path, "images have \(dataset.channels) channel\(dataset.channels == 1 ? "" : "s"), the model \(path) takes \(shape[0]) (\(shape.map(String.init).joined(separator: "×"))); \(fix)")
            }
            throw ProbityError.badFile(dataset.path, "images are \(dataset.channels)×\(dataset.height)×\(dataset.width), the model \(path) takes \(model.inputShape.map(String.init).joined(separator: "×")); import the images again with `probity dataset import-images --size \(model.inputShape[2])`")
        }
        return model
    }

    /// The number of classes the model outputs (one forward pass of a blank image).
    public static func classes(_ model: any Model) throws -> Int {
        try model.logits(Tensor(shape: [1] + model.inputShape)).shape[1]
    }

    /// Refuses a fixed target class the model does not have.
    public static func check(_ rule: TargetRule?, model: any Model, modelPath: String) throws {
        guard case .fixed(let k)? = rule else { return }
        let n = try classes(model)
        guard k < n else { throw ProbityError.invalidArgument("--target \(k): \(modelPath) has \(n) classes (0…\(n - 1))") }
    }
}
