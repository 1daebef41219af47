import Foundation
import ProbityCore
import ProbityData
import ProbityEngine
import ProbityExplainers
import ProbityMetrics
import ProbityONNX

/// `probity bench`: every figure that says whether Probity runs at the machine's speed, from
/// one process, so that ratios are taken within one run of a shared, noisy machine. Each
/// figure is the median of `repetitions` timings (`Measured`), with its spread:
///
/// - sgemm GFLOP/s, the ceiling: at n = 1024 on all threads, and at the shapes the model's
///   convolutions and Gemms multiply (one `sgemm` per sample and thread, as the engine runs them);
/// - the model's forward images/s at batch 1 and 32, and at 32 as a fraction of sgemm (n = 1024);
/// - forward + backward images/s at batch 32 and its time over the forward's;
/// - seconds per image of every built-in explainer at its defaults (one dataset image a
///   repetition, targets predicted, the target's forward reused as `explain` does);
/// - forwards/s of deletion + insertion and of RISE, occlusion and Score-CAM, each over the
///   pure forward rate at batch 32 (forwards counted by `CountingModel`);
/// - Integrated Gradients (50 steps) over 51 forward + backward passes;
/// - the speed-up from 1 to 2 threads of deletion + insertion and of Integrated Gradients;
/// - peak resident memory per stage (`PeakMemory`).
public struct Benchmark {
    public var modelPath: String
    public var datasetPath: String
    public var repetitions = 5
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Explainers timed; nil: every built-in one that runs in process.
    public var explainers: [String]? = nil

    public init(modelPath: String, datasetPath: String) { self.modelPath = modelPath; self.datasetPath = datasetPath }

    /// One line of the table.
    public struct Row: Sendable {
        public var stage: String
        public var figure: String
        public var value: Measured
        public var unit: String
        public var note: String = ""
        /// Peak resident memory of the stage, MB (on the stage's first row).
        public var peakMB: Double? = nil
    }

    /// The figures `--json` writes, under the keys issue 16 names.
    public struct Figures: Codable, Sendable, Equatable {
        public var sgemmGflops = 0.0
        public var forwardB1ImagesPerS = 0.0
        public var forwardB32ImagesPerS = 0.0
        public var forwardB32FractionOfSgemm = 0.0
        public var fwdBwdB32ImagesPerS = 0.0
        public var fwdBwdOverFwd = 0.0
        public var deletionInsertionForwardsPerS = 0.0
        public var deletionInsertionFractionOfForward = 0.0
        public var perturbationFractionOfForward = 0.0
        public var ig50OverFwdBwd = 0.0
        public var twoThreadSpeedup = 0.0
        public var peakRssMb = 0.0
        public var explainerSecondsPerImage: [String: Double] = [:]

        /// The JSON keys, in the order of the issue.
        public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case sgemmGflops = "sgemm_gflops", forwardB1ImagesPerS = "forward_b1_images_per_s", forwardB32ImagesPerS = "forward_b32_images_per_s"
            case forwardB32FractionOfSgemm = "forward_b32_fraction_of_sgemm", fwdBwdB32ImagesPerS = "fwd_bwd_b32_images_per_s"
            case fwdBwdOverFwd = "fwd_bwd_over_fwd", deletionInsertionForwardsPerS = "deletion_insertion_forwards_per_s"
            case deletionInsertionFractionOfForward = "deletion_insertion_fraction_of_forward"
            case perturbationFractionOfForward = "perturbation_fraction_of_forward", ig50OverFwdBwd = "ig50_over_fwd_bwd"
            case twoThreadSpeedup = "two_thread_speedup", peakRssMb = "peak_rss_mb", explainerSecondsPerImage = "explainer_seconds_per_image"
        }

        /// Pretty, key-sorted JSON.
        public func json() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return try encoder.encode(self)
        }
    }

    public struct Report: Sendable {
        public var rows: [Row] = []
        public var figures = Figures()
    }

    /// Explainers that run in process (external programs and precomputed maps do not).
    public static var builtInExplainers: [String] {
        ExplainerRegistry.all.map { $0.name }.filter { $0 != External.name && $0 != Precomputed.name }
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let dataset = try Dataset(path: datasetPath)
        let model = try ModelLoading.load(modelPath, for: dataset)
        let names = try (explainers ?? Benchmark.builtInExplainers).map { try ExplainerRegistry.type(named: $0).name }
        var report = Report()
        func stage(_ name: String, _ body: () throws -> [Row]) rethrows {
            progress(name)
            PeakMemory.reset()
            var rows = try body()
            if !rows.isEmpty { rows[0].peakMB = PeakMemory.megabytes() }
            report.figures.peakRssMb = max(report.figures.peakRssMb, rows.first?.peakMB ?? 0)
            report.rows += rows
        }
        var f = Figures()
        let reps = max(1, repetitions)
        let shape = model.inputShape
        let flops = Double(try model.graph(batch: 1).flops)
        let image = { (i: Int) throws -> Tensor in try dataset.modelInput((i % dataset.count)..<(i % dataset.count + 1)) }
        let batch32 = Tensor.concatenate(batch: try (0..<32).map(image))

        // The ceiling.
        var sgemm = Measured([0])
        try stage("sgemm") {
            sgemm = Benchmark.sgemm(n: 1024, threads: threads, repetitions: reps)
            let shapes = try Benchmark.gemmShapes(model.graph(batch: 1))
            let atShapes = Benchmark.sgemm(shapes: shapes, threads: threads, repetitions: reps)
            f.sgemmGflops = sgemm.median
            return [Row(stage: "sgemm", figure: "sgemm n=1024, \(threads) threads", value: sgemm, unit: "GFLOP/s", note: "OpenBLAS"),
                    Row(stage: "sgemm", figure: "sgemm at the model's shapes, \(threads) threads", value: atShapes, unit: "GFLOP/s",
                        note: "\(shapes.count) products per image, one sgemm per sample and thread")]
        }

        // Forward and forward + backward.
        var forward32 = Measured([1])
        var fwdBwd32 = Measured([1])
        try stage("forward") {
            let x1 = try image(0)
            let t1 = try Measured.seconds(repetitions: reps) { _ in for _ in 0..<8 { _ = try model.logits(x1) } }.map { $0 / 8 }
            forward32 = try Measured.seconds(repetitions: reps) { _ in _ = try model.logits(batch32) }
            let rate1 = t1.map { 1 / $0 }, rate32 = forward32.map { 32 / $0 }
            f.forwardB1ImagesPerS = rate1.median
            f.forwardB32ImagesPerS = rate32.median
            f.forwardB32FractionOfSgemm = flops * rate32.median / 1e9 / sgemm.median
            return [Row(stage: "forward", figure: "forward, batch 1", value: rate1, unit: "images/s",
                        note: String(format: "%.1f GFLOP/s; %.3f GFLOP an image", flops * rate1.median / 1e9, flops / 1e9)),
                    Row(stage: "forward", figure: "forward, batch 32", value: rate32, unit: "images/s",
                        note: String(format: "%.1f GFLOP/s = %.1f %% of sgemm", flops * rate32.median / 1e9, 100 * f.forwardB32FractionOfSgemm))]
        }
        try stage("forward+backward") {
            fwdBwd32 = try Measured.seconds(repetitions: reps) { _ in _ = try model.gradient(of: [Int](repeating: 0, count: 32), wrt: batch32) }
            let rate = fwdBwd32.map { 32 / $0 }
            f.fwdBwdB32ImagesPerS = rate.median
            f.fwdBwdOverFwd = fwdBwd32.median / forward32.median
            return [Row(stage: "forward+backward", figure: "forward+backward, batch 32", value: rate, unit: "images/s",
                        note: String(format: "%.2f × the forward time", f.fwdBwdOverFwd))]
        }

        // Explainers at their defaults, one image a repetition.
        var perImage: [String: Measured] = [:]
        var forwardsPerImage: [String: Int] = [:]
        for name in names {
            try stage(name) {
                let explainer = try ExplainerRegistry.make(name)
                let counting = CountingModel(model)
                let t = try Benchmark.explainSeconds(explainer, model: counting, dataset: dataset, image: image, repetitions: reps)
                perImage[name] = t.seconds
                forwardsPerImage[name] = t.forwards
                f.explainerSecondsPerImage[name] = t.seconds.median
                return [Row(stage: "explain", figure: name, value: t.seconds, unit: "s/image",
                            note: t.forwards > 0 ? "\(t.forwards) forwards an image" : "")]
            }
        }
        var fractions: [Double] = []
        var rows: [Row] = []
        for name in [RISE.name, Occlusion.name, ScoreCAM.name] {
            guard let t = perImage[name], let n = forwardsPerImage[name], n > 0 else { continue }
            let rate = t.map { Double(n) / $0 }
            fractions.append(rate.median / f.forwardB32ImagesPerS)
            rows.append(Row(stage: "perturbation", figure: "\(name) forwards/s", value: rate, unit: "forwards/s",
                            note: String(format: "%.1f %% of the forward rate", 100 * rate.median / f.forwardB32ImagesPerS)))
        }
        f.perturbationFractionOfForward = fractions.min() ?? 0
        report.rows += rows
        if let ig = perImage[IntegratedGradients.name] {
            f.ig50OverFwdBwd = ig.median / (51 * fwdBwd32.median / 32)
            report.rows.append(Row(stage: "perturbation", figure: "integrated_gradients over 51 forward+backward", value: ig.map { $0 / (51 * fwdBwd32.median / 32) },
                                   unit: "×", note: "time of IG (50 steps) over 51 forward+backward passes at the batch-32 rate"))
        }

        // Deletion + insertion, and the speed-up from 1 to 2 threads.
        var curves2 = Measured([1]), ig2 = Measured([1])
        try stage("deletion+insertion") {
            let counting = CountingModel(model)
            let (t, n) = try Benchmark.curveSeconds(model: counting, dataset: dataset, image: image, repetitions: reps)
            curves2 = t
            let rate = t.map { Double(n) / $0 }
            f.deletionInsertionForwardsPerS = rate.median
            f.deletionInsertionFractionOfForward = rate.median / f.forwardB32ImagesPerS
            return [Row(stage: "deletion+insertion", figure: "deletion + insertion forwards/s", value: rate, unit: "forwards/s",
                        note: String(format: "%d forwards an image; %.1f %% of the forward rate", n, 100 * f.deletionInsertionFractionOfForward))]
        }
        ig2 = perImage[IntegratedGradients.name] ?? Measured([1])
        try stage("1 thread") {
            let one = try ONNXModel(path: modelPath, inputShape: shape, threads: 1)
            let (curves1, _) = try Benchmark.curveSeconds(model: one, dataset: dataset, image: image, repetitions: reps)
            let ig1 = try Benchmark.explainSeconds(try ExplainerRegistry.make(IntegratedGradients.name), model: one, dataset: dataset,
                                                   image: image, repetitions: reps).seconds
            let curveSpeedup = curves1.map { $0 / curves2.median }, igSpeedup = ig1.map { $0 / ig2.median }
            f.twoThreadSpeedup = min(curveSpeedup.median, igSpeedup.median)
            return [Row(stage: "threads", figure: "deletion + insertion, 1 → \(threads) threads", value: curveSpeedup, unit: "×"),
                    Row(stage: "threads", figure: "integrated_gradients, 1 → \(threads) threads", value: igSpeedup, unit: "×")]
        }
        report.figures = Figures(sgemmGflops: f.sgemmGflops, forwardB1ImagesPerS: f.forwardB1ImagesPerS, forwardB32ImagesPerS: f.forwardB32ImagesPerS,
                                 forwardB32FractionOfSgemm: f.forwardB32FractionOfSgemm, fwdBwdB32ImagesPerS: f.fwdBwdB32ImagesPerS,
                                 fwdBwdOverFwd: f.fwdBwdOverFwd, deletionInsertionForwardsPerS: f.deletionInsertionForwardsPerS,
                                 deletionInsertionFractionOfForward: f.deletionInsertionFractionOfForward,
                                 perturbationFractionOfForward: f.perturbationFractionOfForward, ig50OverFwdBwd: f.ig50OverFwdBwd,
                                 twoThreadSpeedup: f.twoThreadSpeedup, peakRssMb: report.figures.peakRssMb,
                                 explainerSecondsPerImage: f.explainerSecondsPerImage)
        return report
    }

    /// Seconds per image of `explainer` at one image a repetition (images 0, 1, …), targets
    /// predicted from a forward pass made before the clock starts and handed to the explainer,
    /// as `probity explain` does; and the forwards an image (forward-only samples, hooks included).
    static func explainSeconds(_ explainer: any Explainer, model: any Model, dataset: Dataset, image: (Int) throws -> Tensor,
                               repetitions: Int) throws -> (seconds: Measured, forwards: Int) {
        var forwards = 0
        let seconds = try Measured.repeated(repetitions: repetitions) { r in
            let x = try image(r)
            let logits = try model.logits(x)
            let batch = ExplainBatch(x: x, targets: logits.argmaxRows(), samples: [r], preprocessing: dataset.preprocessing, logits: logits)
            (model as? CountingModel)?.reset()
            let took = try Measured.time { _ = try explainer.explain(batch, model: model) }
            forwards = (model as? CountingModel)?.counts.forward ?? 0
            return took
        }
        return (seconds, forwards)
    }

    /// Seconds per image of deletion and insertion at their defaults on a saliency map (made
    /// before the clock starts), and the forwards both ran for one image.
    static func curveSeconds(model: any Model, dataset: Dataset, image: (Int) throws -> Tensor, repetitions: Int) throws -> (Measured, Int) {
        let deletion = try Deletion(), insertion = try Insertion()
        var forwards = 0
        let t = try Measured.repeated(repetitions: repetitions) { r in
            let x = try image(r)
            let target = try model.logits(x).argmaxRows()
            let maps = try Saliency().explain(ExplainBatch(x: x, targets: target, preprocessing: dataset.preprocessing), model: model).maps
            let input = MetricInput(x: x, maps: maps, targets: target, samples: [r], preprocessing: dataset.preprocessing)
            (model as? CountingModel)?.reset()
            let took = try Measured.time {
                _ = try deletion.evaluate(input, model: model)
                _ = try insertion.evaluate(input, model: model)
            }
            forwards = (model as? CountingModel)?.counts.forward ?? 0
            return took
        }
        return (t, forwards)
    }
}
