import ArgumentParser
import Foundation
import ProbityCore
import ProbityData
import ProbityExplainers
import ProbityHarness
import ProbityONNX

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Inspect and run ONNX models.",
                                                    subcommands: [ModelInfo.self, ModelLayers.self, ModelPredict.self, ModelTrain.self])
}

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Inputs, outputs, ops, parameters and FLOPs per image.")
    @Argument(help: "ONNX model file.") var model: String
    @Option(help: "Height and width for a model whose input size is symbolic, e.g. 224,224.") var inputSize: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let m = try ONNXModel(path: model, inputShape: try InputSize.shape(inputSize))
        let s = try ModelSummary(model: m)
        if json {
            try printJSON([
                "model": model, "opset": s.opset, "parameters": s.parameters, "flops_per_image": s.flopsPerImage,
                "inputs": s.inputs.map { ["name": $0.name, "shape": $0.shape] },
                "outputs": s.outputs.map { ["name": $0.name, "shape": $0.shape] },
                "ops": Dictionary(uniqueKeysWithValues: s.opCounts.map { ($0.op, $0.count) }),
                "layers": s.layers.count,
            ] as [String: Any])
            return
        }
        print("\(model) (opset \(s.opset))")
        for i in s.inputs { print("input  \(i.name) [\(i.shape.joined(separator: ", "))]") }
        for o in s.outputs { print("output \(o.name) \(Array(o.shape.dropFirst())) per image") }
        if let f = m.importer.finalSoftmax() {
            print("note: the graph ends in \(f.op) (\(f.node)); Probity uses its input, \(f.input), as the logits (metrics apply the softmax themselves)")
        }
        print("ops: " + s.opCounts.map { "\($0.op) \($0.count)" }.joined(separator: ", "))
        print("parameters: \(s.parameters.formatted()) in \(s.layers.count) layers")
        print(String(format: "FLOPs per image: %.3f G (2 × multiply-adds)", Double(s.flopsPerImage) / 1e9))
    }
}

struct ModelLayers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "layers",
        abstract: "Nodes with weights, input to output: the names hooks and randomization use.")
    @Argument(help: "ONNX model file.") var model: String
    @Option(help: "Height and width for a model whose input size is symbolic, e.g. 224,224.") var inputSize: String?
    @Flag(help: "Every node output with its shape (what CAM layers and hooks can name), not only the layers with weights.") var all = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let m = try ONNXModel(path: model, inputShape: try InputSize.shape(inputSize))
        if all {
            let outputs = try m.nodeOutputs()
            if json { try printJSON(outputs.map { ["name": $0.name, "shape": $0.shape] as [String: Any] }); return }
            print("shape per image\toutput (hook name)")
            for o in outputs { print("\(Array(o.shape.dropFirst()))\t\(o.name)") }
            return
        }
        let s = try ModelSummary(model: m)
        if json {
            try printJSON(s.layers.map { ["index": $0.index, "node": $0.node, "output": $0.output, "op": $0.op, "weight_shape": $0.weightShape, "parameters": $0.parameters] as [String: Any] })
            return
        }
        print("index\top\tweights\tparameters\toutput (hook name)")
        for l in s.layers { print("\(l.index)\t\(l.op)\t\(l.weightShape)\t\(l.parameters)\t\(l.output)") }
        // A transformer's attention probabilities, as attention_rollout finds them.
        if let attention = try? AttentionLayers.find(m) {
            print("\nattention\theads × tokens × tokens\toutput (hook name)")
            for (k, a) in attention.enumerated() { print("\(k)\t\(a.heads) × \(a.tokens) × \(a.tokens)\t\(a.name)") }
        }
    }
}

struct ModelPredict: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Logits, probabilities and top-1 classes on dataset samples.")
    @Argument(help: "ONNX model file.") var model: String
    @Option(help: "Dataset file.") var dataset: String
    @Option(help: "Samples: all, 0..99 (inclusive), 0..<100, or 3,7,10..12.") var indices = "all"
    @Option(help: "Write /logits, /probs, /top1, /indices to this HDF5 file.") var out: String?
    @Option(help: "Samples per forward pass.") var batch = 32
    @Flag(help: "Print the top-5 classes per sample as JSON.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let d = try Dataset(path: dataset)
        let m = try ModelLoading.load(model, for: d, maxBatch: batch)
        let ids = try IndexSelection(indices).resolve(count: d.count)
        let p = try Predictions.compute(model: m, dataset: d, indices: ids, batch: batch, progress: ProgressView(quiet: quiet || json).counter("predict"))
        if let out { try p.write(to: out, model: model, dataset: dataset) }
        let names = d.classNames ?? []
        let name: (Int) -> String = { k in k < names.count ? names[k] : "" }
        if json {
            try printJSON(ids.enumerated().map { row, sample in
                ["sample": sample, "label": d.labels[sample],
                 "top5": p.top(5, row: row).map { ["class": $0.label, "name": name($0.label), "probability": Double($0.probability)] as [String: Any] }] as [String: Any]
            })
        } else {
            print("sample\tlabel\tclass\tprobability\tname")
            var correct = 0
            for (row, sample) in ids.enumerated() {
                let best = p.top(1, row: row)[0]
                if best.label == d.labels[sample] { correct += 1 }
                print("\(sample)\t\(d.labels[sample])\t\(best.label)\t\(String(format: "%.4f", best.probability))\t\(name(best.label))")
            }
            if !ids.isEmpty {
                print(String(format: "top-1 accuracy against the dataset's labels: %.4f (%d of %d)", Double(correct) / Double(ids.count), correct, ids.count))
            }
            if let out { print("wrote \(out)") }
        }
    }
}

/// `--input-size H,W`: the extents a model with a symbolic input size runs at.
enum InputSize {
    static func shape(_ text: String?) throws -> [Int]? {
        guard let text else { return nil }
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "x" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let h = parts[0], let w = parts[1], h > 0, w > 0 else {
            throw ProbityError.invalidArgument("--input-size must be H,W (e.g. 224,224), got \(text)")
        }
        return [3, h, w]
    }
}
