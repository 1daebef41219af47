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
///
/// Every ratio but the fraction of sgemm is taken per repetition between timings made back to
/// back (the perturbation method, then a batch-32 forward; 1 thread, then 2 threads on the same
/// image), and its median reported: other jobs on a shared machine come and go over minutes,
/// and a ratio of figures timed minutes apart measures them, not Probity.
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
        var f = Figures()
        func stage(_ name: String, _ body: () throws -> [Row]) rethrows {
            progress(name)
            PeakMemory.reset()
            var rows = try body()
            if !rows.isEmpty { rows[0].peakMB = PeakMemory.megabytes() }
            f.peakRssMb = max(f.peakRssMb, rows.first?.peakMB ?? 0)
            report.rows += rows
        }
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
            // The ceiling of the 1 → 2 thread targets: what the cores give OpenBLAS itself.
            let oneThread = Benchmark.sgemm(shapes: shapes, threads: 1, repetitions: reps)
            f.sgemmGflops = sgemm.median
            return [Row(stage: "sgemm", figure: "sgemm n=1024, \(threads) threads", value: sgemm, unit: "GFLOP/s", note: "OpenBLAS"),
                    Row(stage: "sgemm", figure: "sgemm at the model's shapes, \(threads) threads", value: atShapes, unit: "GFLOP/s",
                        note: "\(shapes.count) products per image, one sgemm per sample and thread"),
                    Row(stage: "sgemm", figure: "sgemm at the model's shapes, 1 → \(threads) threads", value: Measured.ratio(atShapes, oneThread), unit: "×",
                        note: String(format: "%.1f GFLOP/s on 1 thread", oneThread.median))]
        }

        // Forward and forward + backward.
        try stage("forward") {
            let x1 = try image(0)
            let t1 = try Measured.seconds(repetitions: reps) { _ in for _ in 0..<8 { _ = try model.logits(x1) } }.map { $0 / 8 }
            let forward32 = try Measured.seconds(repetitions: reps) { _ in _ = try model.logits(batch32) }
            let rate1 = t1.map { 1 / $0 }, rate32 = forward32.map { 32 / $0 }
            f.forwardB1ImagesPerS = rate1.median
            f.forwardB32ImagesPerS = rate32.median
            f.forwardB32FractionOfSgemm = flops * rate32.median / 1e9 / sgemm.median
            return [Row(stage: "forward", figure: "forward, batch 1", value: rate1, unit: "images/s",
                        note: String(format: "%.1f GFLOP/s; %.3f GFLOP an image", flops * rate1.median / 1e9, flops / 1e9)),
                    Row(stage: "forward", figure: "forward, batch 32", value: rate32, unit: "images/s",
                        note: String(format: "%.1f GFLOP/s = %.1f %% of sgemm", flops * rate32.median / 1e9, 100 * f.forwardB32FractionOfSgemm))]
        }
        // Ratios come from timings taken back to back in each repetition (`Measured.pairs`).
        let forwardB32 = { (_: Int) throws -> Double in try Measured.time { _ = try model.logits(batch32) } / 32 }
        let fwdBwdB32 = { (_: Int) throws -> Double in
            try Measured.time { _ = try model.gradient(of: [Int](repeating: 0, count: 32), wrt: batch32) } / 32
        }
        try stage("forward+backward") {
            let (fb, fw) = try Measured.pairs(repetitions: reps) { _ in (try fwdBwdB32(0), try forwardB32(0)) }
            let rate = fb.map { 1 / $0 }, ratio = Measured.ratio(fb, fw)
            f.fwdBwdB32ImagesPerS = rate.median
            f.fwdBwdOverFwd = ratio.median
            return [Row(stage: "forward+backward", figure: "forward+backward, batch 32", value: rate, unit: "images/s"),
                    Row(stage: "forward+backward", figure: "forward+backward over forward, batch 32", value: ratio, unit: "×",
                        note: "each repetition over a forward timed just after it")]
        }

        // Explainers at their defaults, one image a repetition; the forward-bound ones (and IG)
        // each with a reference pass timed beside every repetition.
        let references: [String: (Int) throws -> Double] = [RISE.name: forwardB32, Occlusion.name: forwardB32, ScoreCAM.name: forwardB32,
                                                         IntegratedGradients.name: fwdBwdB32]
        var fractions: [Double] = []
        var derived: [Row] = []
        for name in names {
            // With the default list, a method that refuses the model (attention rollout or
            // transformer attribution on a CNN) is skipped with its reason, not the end of the run.
            do { try stage(name) {
                let explainer = try ExplainerRegistry.make(name)
                // With a reference pass of another batch size beside each repetition, the method's
                // plans and the reference's stay cached together, as each would alone in a run (a
                // suite runs one method's batches back to back). Under the 1 GiB budget the backward
                // plans of Integrated Gradients' chunks and of the batch-32 reference evict each other,
                // and each timing then includes planning and first-touching its arenas again.
                let budget = model.planMemoryBudget
                if references[name] != nil { model.planMemoryBudget = 4 << 30 }
                defer { model.planMemoryBudget = budget }
                let counting = CountingModel(model)
                let t = try Benchmark.explainSeconds(explainer, model: counting, dataset: dataset, image: image, repetitions: reps,
                                                     reference: references[name])
                f.explainerSecondsPerImage[name] = t.seconds.median
                if let reference = t.reference {
                    if name == IntegratedGradients.name {
                        // IG over 51 forward + backward passes at the batch-32 rate.
                        let ratio = Measured.ratio(t.seconds, reference.map { 51 * $0 })
                        f.ig50OverFwdBwd = ratio.median
                        derived.append(Row(stage: "ratios", figure: "integrated_gradients over 51 forward+backward", value: ratio, unit: "×",
                                           note: "IG (50 steps) over 51 forward+backward passes at the batch-32 rate"))
                    } else if t.forwards > 0 {
                        let rate = t.seconds.map { Double(t.forwards) / $0 }
                        let fraction = Measured.ratio(reference.map { Double(t.forwards) * $0 }, t.seconds)
                        fractions.append(fraction.median)
                        derived.append(Row(stage: "ratios", figure: "\(name) forwards/s", value: rate, unit: "forwards/s"))
                        derived.append(Row(stage: "ratios", figure: "\(name) over the forward rate", value: fraction, unit: "×",
                                           note: "\(t.forwards) forwards an image"))
                    }
                }
                return [Row(stage: "explain", figure: name, value: t.seconds, unit: "s/image",
                            note: t.forwards > 0 ? "\(t.forwards) forwards an image" : "")]
            } } catch let error as ProbityError where explainers == nil {
                progress("\(name) skipped: \(error.description)")
            }
        }
        f.perturbationFractionOfForward = fractions.min() ?? 0
        report.rows += derived

        // Deletion + insertion, and the speed-up from 1 to 2 threads (repetitions alternate).
        try stage("deletion+insertion") {
            let counting = CountingModel(model)
            let (t, n, reference) = try Benchmark.curveSeconds(model: counting, dataset: dataset, image: image, repetitions: reps, reference: forwardB32)
            let rate = t.map { Double(n) / $0 }, fraction = Measured.ratio(reference.map { Double(n) * $0 }, t)
            f.deletionInsertionForwardsPerS = rate.median
            f.deletionInsertionFractionOfForward = fraction.median
            return [Row(stage: "deletion+insertion", figure: "deletion + insertion forwards/s", value: rate, unit: "forwards/s",
                        note: "\(n) forwards an image"),
                    Row(stage: "deletion+insertion", figure: "deletion + insertion over the forward rate", value: fraction, unit: "×")]
        }
        try stage("1 thread") {
            let one = try ONNXModel(path: modelPath, inputShape: shape, threads: 1)
            // Each repetition: image r on 1 thread, then the same image on all threads.
            let curves = try Benchmark.curveSeconds(model: one, dataset: dataset, image: image, repetitions: reps) { r in
                try Benchmark.curveSeconds(model: model, dataset: dataset, image: { _ in try image(r) }, repetitions: 1, countWarmupAfter: 0).0.median
            }
            let ig = try ExplainerRegistry.make(IntegratedGradients.name)
            let igTimes = try Benchmark.explainSeconds(ig, model: one, dataset: dataset, image: image, repetitions: reps) { r in
                try Benchmark.explainSeconds(ig, model: model, dataset: dataset, image: { _ in try image(r) }, repetitions: 1, countWarmupAfter: 0).seconds.median
            }
            let curveSpeedup = Measured.ratio(curves.0, curves.2), igSpeedup = Measured.ratio(igTimes.seconds, igTimes.reference!)
            f.twoThreadSpeedup = min(curveSpeedup.median, igSpeedup.median)
            return [Row(stage: "threads", figure: "deletion + insertion, 1 → \(threads) threads", value: curveSpeedup, unit: "×"),
                    Row(stage: "threads", figure: "integrated_gradients, 1 → \(threads) threads", value: igSpeedup, unit: "×")]
        }
        report.figures = f
        return report
    }

    /// Seconds per image of `explainer` at one image a repetition (images 0, 1, …), targets
    /// predicted from a forward pass made before the clock starts and handed to the explainer,
    /// as `probity explain` does; the forwards an image (forward-only samples, hooks included,
    /// when `model` is a `CountingModel`); and, with a `reference`, its seconds timed right after
    /// each repetition.
    static func explainSeconds(_ explainer: any Explainer, model: any Model, dataset: Dataset, image: (Int) throws -> Tensor,
                               repetitions: Int, countWarmupAfter: Double = 1,
                               reference: ((_ repetition: Int) throws -> Double)? = nil) throws -> (seconds: Measured, forwards: Int, reference: Measured?) {
        var forwards = 0
        let (seconds, references) = try Measured.pairs(repetitions: repetitions, countWarmupAfter: countWarmupAfter) { r in
            let x = try image(r)
            let logits = try model.logits(x)
            let batch = ExplainBatch(x: x, targets: logits.argmaxRows(), samples: [r], preprocessing: dataset.preprocessing, logits: logits)
            (model as? CountingModel)?.reset()
            let took = try Measured.time { _ = try explainer.explain(batch, model: model) }
            forwards = (model as? CountingModel)?.counts.forward ?? 0
            return (took, try reference?(r) ?? 0)
        }
        return (seconds, forwards, reference == nil ? nil : references)
    }

    /// Seconds per image of deletion and insertion at their defaults on a saliency map (made
    /// before the clock starts), the forwards both ran for one image (with a `CountingModel`),
    /// and a `reference` timed right after each repetition.
    static func curveSeconds(model: any Model, dataset: Dataset, image: (Int) throws -> Tensor, repetitions: Int, countWarmupAfter: Double = 1,
                             reference: (_ repetition: Int) throws -> Double = { _ in 0 }) throws -> (Measured, Int, Measured) {
        let deletion = try Deletion(), insertion = try Insertion()
        var forwards = 0
        let (t, references) = try Measured.pairs(repetitions: repetitions, countWarmupAfter: countWarmupAfter) { r in
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
            return (took, try reference(r))
        }
        return (t, forwards, references)
    }
}
