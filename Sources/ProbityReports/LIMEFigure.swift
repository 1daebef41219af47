import Foundation

/// The pictures of the `lime_image` tutorial (Ribeiro et al. 2016; lime's "Tutorial - images"):
/// `ImageExplanation.get_image_and_mask` picks superpixels by their surrogate weight, and
/// scikit-image's `mark_boundaries` outlines them in yellow. Both are reproduced exactly
/// (`Tests/Fixtures/lime_figures.h5`, made with lime 0.2 and scikit-image 0.25):
///
/// - `positive_only` + `hide_rest`: the image with only the top-K superpixels that speak *for*
///   the class visible, the rest black;
/// - pros and cons (`positive_only = false`): the top-K superpixels by |weight|, those for the
///   class with their green channel set to the image's maximum, those against with their red.
///
/// One difference from the tutorial: it draws `temp / 2 + 0.5` because its Inception inputs were
/// scaled to [-1, 1]; here images are the dataset's pixels, drawn as stored (÷ 255).
public enum LIMEFigure {
    /// An RGB picture, row-major [H, W, 3], values 0…1.
    public struct Picture: Sendable, Equatable {
        public var width: Int, height: Int
        public var rgb: [Double]
        public init(width: Int, height: Int, rgb: [Double]) { self.width = width; self.height = height; self.rgb = rgb }
        /// Rounded to 8 bits for a PNG.
        public var bytes: [UInt8] { rgb.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) } }
    }

    /// lime's `get_image_and_mask` for one label: `image` uint8 RGB [H, W, 3], `segments` [H × W]
    /// superpixel ids, `weights` per superpixel id. Features are taken in lime's order, by
    /// |weight| descending (ties: lower id first, as Python's stable sort of `local_exp`).
    /// Returns the picture and the mask (1 for, −1 against, 0 elsewhere).
    public static func imageAndMask(image: [UInt8], width: Int, height: Int, segments: [Int], weights: [Double],
                                    positiveOnly: Bool, features: Int, hideRest: Bool, minWeight: Double = 0) -> (Picture, [Int]) {
        let order = weights.indices.sorted { abs(weights[$0]) != abs(weights[$1]) ? abs(weights[$0]) > abs(weights[$1]) : $0 < $1 }
        let source = image.map { Double($0) / 255 }
        var temp = hideRest ? [Double](repeating: 0, count: source.count) : source
        var mask = [Int](repeating: 0, count: width * height)
        let brightest = source.max() ?? 1
        if positiveOnly {
            let chosen = Set(order.filter { weights[$0] > 0 && weights[$0] > minWeight }.prefix(features))
            for p in 0..<(width * height) where chosen.contains(segments[p]) {
                for c in 0..<3 { temp[3 * p + c] = source[3 * p + c] }
                mask[p] = 1
            }
        } else {
            for f in order.prefix(features) where abs(weights[f]) >= minWeight {
                let channel = weights[f] < 0 ? 0 : 1
                for p in 0..<(width * height) where segments[p] == f {
                    mask[p] = weights[f] < 0 ? -1 : 1
                    for c in 0..<3 { temp[3 * p + c] = source[3 * p + c] }
                    temp[3 * p + channel] = brightest
                }
            }
        }
        return (Picture(width: width, height: height, rgb: temp), mask)
    }

    /// scikit-image's `find_boundaries(labels, mode="outer", background=0)` on lime's 64-bit
    /// masks, as it computes: a pixel is a boundary when its 4-neighbourhood (grey dilation ≠
    /// erosion, borders reflected) holds two labels, kept where it is background or where the
    /// 3 × 3 dilation differs from the 3 × 3 erosion of the labels with the background set to the
    /// largest int64. That erosion runs as two 1-D minimum filters (SciPy's separable
    /// `grey_erosion`, columns first) through a float64 line buffer, and a column of three
    /// background pixels rounds the largest int64 up to 2⁶³, which wraps to the smallest: so an
    /// object pixel beside such a column is a boundary too, and the tutorial's outlines come out
    /// up to two pixels wide. Reproduced as computed, not as the code intends.
    public static func outerBoundaries(_ labels: [Int], width: Int, height: Int) -> [Bool] {
        func at(_ y: Int, _ x: Int) -> Int { labels[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)] }
        let cross = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
        // The first pass of the erosion: the minimum down a column of three, background = the
        // largest int64, which wraps to the smallest when the whole column is background.
        func column(_ y: Int, _ x: Int) -> Int {
            let v = [at(y - 1, x), at(y, x), at(y + 1, x)].filter { $0 != 0 }
            return v.min() ?? Int.min
        }
        var out = [Bool](repeating: false, count: labels.count)
        for y in 0..<height {
            for x in 0..<width {
                let around = cross.map { at(y + $0.0, x + $0.1) }
                guard around.max()! != around.min()! else { continue }
                if at(y, x) == 0 { out[y * width + x] = true; continue }
                let dilated = (-1...1).flatMap { dy in (-1...1).map { dx in at(y + dy, x + dx) } }.max()!
                let erodedInverted = (-1...1).map { column(y, x + $0) }.min()!
                out[y * width + x] = dilated != erodedInverted
            }
        }
        return out
    }

    /// scikit-image's `mark_boundaries(picture, labels)`: outer boundaries of `labels` painted in
    /// `color` (yellow by default).
    public static func markBoundaries(_ picture: Picture, labels: [Int], color: (Double, Double, Double) = (1, 1, 0)) -> Picture {
        var out = picture
        for (p, edge) in outerBoundaries(labels, width: picture.width, height: picture.height).enumerated() where edge {
            out.rgb[3 * p] = color.0; out.rgb[3 * p + 1] = color.1; out.rgb[3 * p + 2] = color.2
        }
        return out
    }
}
