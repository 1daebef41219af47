import Foundation
import ProbityCore
import ProbityEngine

/// An ONNX classifier: the engine's `GraphModel` over the graphs `ONNXImporter` builds from the
/// file (constants and shapes folded per batch size), plus the importer for inspection. What
/// runs it (plans, chunking, forward, backward, randomized copies) is the engine's; this type
/// only checks that the file holds one image input and resolves its extents. `logits` are the
/// scores before any final `Softmax`/`LogSoftmax` in the graph (`importer.finalSoftmax()`
/// names it): metrics apply the softmax themselves where they score probabilities.
public final class ONNXModel: GraphModel, @unchecked Sendable {
    public let path: String
    public let importer: ONNXImporter

    /// Loads `path`. `inputShape` ([C, H, W]) is used only for extents the model leaves symbolic.
    public init(path: String, inputShape: [Int]? = nil, maxBatch: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let importer = try ONNXImporter(path: path)
        self.path = path
        self.importer = importer
        guard importer.inputNames.count == 1 else {
            throw ProbityError.badFile(path, "expected a model with one image input, found \(importer.inputNames.count) inputs (\(importer.inputNames.joined(separator: ", ")))")
        }
        let declared = importer.declaredShape()
        guard declared.count == 4 else {
            throw ProbityError.badFile(path, "expected an image input [N, C, H, W], found rank \(declared.count)")
        }
        // Declared extents win; `inputShape` fills in the symbolic ones.
        var resolved: [Int] = []
        for k in 1..<4 {
            guard let extent = declared[k] ?? inputShape?[k - 1] else {
                throw ProbityError.badFile(path, "input \(importer.inputNames[0]) has symbolic extents \(declared.map { $0.map(String.init) ?? "?" }); give --input-size H,W (commands with a dataset take the size from its images)")
            }
            resolved.append(extent)
        }
        // A model exported with a fixed batch runs in chunks of exactly that size.
        try super.init(name: path, inputShape: resolved, fixedBatch: declared[0], maxBatch: maxBatch, threads: threads) { [resolved] batch in
            try importer.graph(inputShapes: [[batch] + resolved], logits: true)
        }
    }
}
