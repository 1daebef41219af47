import Foundation

/// A 3 × 5 pixel font for the few labels a heatmap PNG carries on its own (the colour bar's
/// end values and the colormap's name), so a PNG copied out of `heatmaps/` still says what its
/// colours mean. Digits, `. - +`, space and the capitals of the colormap names; other
/// characters are drawn as a blank. Text is upper-cased before drawing.
enum BitmapFont {
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], "+": [0, 2, 7, 2, 0], " ": [0, 0, 0, 0, 0], "–": [0, 0, 7, 0, 0],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [7, 4, 4, 4, 7], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
        "G": [7, 4, 5, 5, 7], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 7], "L": [4, 4, 4, 4, 7], "N": [6, 5, 5, 5, 5],
        "O": [7, 5, 5, 5, 7], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2], "U": [5, 5, 5, 5, 7],
        "V": [5, 5, 5, 5, 2], "W": [5, 5, 5, 7, 5],
    ]

    /// Width in pixels of `s` drawn at `scale` (3 columns and 1 of spacing per character).
    static func width(_ s: String, scale: Int) -> Int { max(0, s.count * 4 * scale - scale) }

    /// Draws `s` into an RGB buffer `pixels` of row length `rowWidth` with its top-left corner
    /// at (x, y), each font pixel a `scale` × `scale` block of `color`; clipped to the buffer.
    static func draw(_ s: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8), into pixels: inout [UInt8], rowWidth: Int) {
        let rows = pixels.count / (rowWidth * 3)
        for (k, ch) in s.uppercased().enumerated() {
            let glyph = glyphs[ch] ?? glyphs[" "]!
            for (gy, bits) in glyph.enumerated() {
                for gx in 0..<3 where bits & (4 >> gx) != 0 {
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let px = x + (k * 4 + gx) * scale + dx, py = y + gy * scale + dy
                            guard px >= 0, px < rowWidth, py >= 0, py < rows else { continue }
                            let i = (py * rowWidth + px) * 3
                            pixels[i] = color.0; pixels[i + 1] = color.1; pixels[i + 2] = color.2
                        }
                    }
                }
            }
        }
    }
}
