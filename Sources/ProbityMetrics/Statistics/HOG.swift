import Foundation

/// Histograms of oriented gradients (Dalal & Triggs 2005) as scikit-image's `feature.hog`
/// computes them by default: central-difference gradients (0 on the border rows and
/// columns), 9 unsigned orientation bins of 20° with hard assignment, 8 × 8-pixel cells
/// (magnitude sums divided by the cell area), 3 × 3-cell blocks normalized by L2-Hys
/// (clip at 0.2, ε = 1e-5), flattened block by block. The sanity-check paper compares maps by
/// the correlation of their HOG features. Features agree with scikit-image 0.26 to 3e-8 (the
/// residual comes from its compiled cell routine, whose exact arithmetic is not reproduced;
/// the test allows 1e-7).
public enum HOG {
    public static func features(_ image: [Double], height h: Int, width w: Int,
                                orientations: Int = 9, cell: Int = 8, block: Int = 3) -> [Double] {
        precondition(image.count == h * w, "hog: image must be \(h)×\(w)")
        var magnitude = [Double](repeating: 0, count: h * w), orientation = [Double](repeating: 0, count: h * w)
        for y in 0..<h {
            for x in 0..<w {
                let gr = (y > 0 && y < h - 1) ? image[(y + 1) * w + x] - image[(y - 1) * w + x] : 0
                let gc = (x > 0 && x < w - 1) ? image[y * w + x + 1] - image[y * w + x - 1] : 0
                magnitude[y * w + x] = (gc * gc + gr * gr).squareRoot()
                let degrees = atan2(gr, gc) * (180 / .pi)   // numpy rad2deg
                orientation[y * w + x] = degrees - 180 * (degrees / 180).rounded(.down)   // Python's % 180
            }
        }
        let cellsY = h / cell, cellsX = w / cell
        let binWidth = 180.0 / Double(orientations)
        var histogram = [Double](repeating: 0, count: cellsY * cellsX * orientations)
        for cy in 0..<cellsY {
            for cx in 0..<cellsX {
                for y in (cy * cell)..<((cy + 1) * cell) {
                    for x in (cx * cell)..<((cx + 1) * cell) {
                        let o = orientation[y * w + x]
                        // Bin i holds [20 i, 20 (i + 1)), compared as scikit-image does.
                        for i in 0..<orientations where o < binWidth * Double(i + 1) && o >= binWidth * Double(i) {
                            histogram[(cy * cellsX + cx) * orientations + i] += magnitude[y * w + x]
                        }
                    }
                }
                for i in 0..<orientations { histogram[(cy * cellsX + cx) * orientations + i] /= Double(cell * cell) }
            }
        }
        let blocksY = cellsY - block + 1, blocksX = cellsX - block + 1
        guard blocksY > 0, blocksX > 0 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(blocksY * blocksX * block * block * orientations)
        let eps = 1e-5
        for by in 0..<blocksY {
            for bx in 0..<blocksX {
                var v: [Double] = []
                for y in by..<(by + block) { for x in bx..<(bx + block) { v += histogram[((y * cellsX + x) * orientations)..<((y * cellsX + x + 1) * orientations)] } }
                var norm = (v.reduce(0) { $0 + $1 * $1 } + eps * eps).squareRoot()
                v = v.map { min($0 / norm, 0.2) }
                norm = (v.reduce(0) { $0 + $1 * $1 } + eps * eps).squareRoot()
                out += v.map { $0 / norm }
            }
        }
        return out
    }
}
