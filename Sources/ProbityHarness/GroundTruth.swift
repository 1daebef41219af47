import ProbityData

/// The ground-truth region a localization metric scores against: the sample's mask when the
/// dataset has `/masks`, or else the union of its boxes of the scored class (all its boxes
/// when none has that class); a pixel is inside a box when the two overlap.
public enum GroundTruth {
    public static func region(_ dataset: Dataset, sample: Int, target: Int) throws -> [Bool] {
        let (h, w) = (dataset.height, dataset.width)
        if dataset.hasMasks, let mask = try dataset.masks(sample..<(sample + 1)) { return mask.map { $0 != 0 } }
        let all = dataset.boxes(ofSample: sample)
        let boxes = all.contains { $0.label == target } ? all.filter { $0.label == target } : all
        var region = [Bool](repeating: false, count: h * w)
        for b in boxes {
            for y in max(0, Int(b.y0.rounded(.down)))..<max(0, min(h, Int(b.y1.rounded(.up)))) {
                for x in max(0, Int(b.x0.rounded(.down)))..<max(0, min(w, Int(b.x1.rounded(.up)))) { region[y * w + x] = true }
            }
        }
        return region
    }
}
