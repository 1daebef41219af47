import XCTest
@testable import ProbityReports

final class ColormapTests: XCTestCase {
    func byte(_ c: (Float, Float, Float)) -> [Int] { [c.0, c.1, c.2].map { Int(($0 * 255).rounded()) } }

    /// viridis ends at matplotlib's #440154 and #fde725, and its middle is matplotlib's
    /// viridis(0.5) = (0.127568, 0.566949, 0.550556).
    func testViridisEndpoints() {
        for (got, want) in zip(byte(Heatmap.viridis(0)), [0x44, 0x01, 0x54]) { XCTAssertEqual(got, want, accuracy: 1) }
        for (got, want) in zip(byte(Heatmap.viridis(1)), [0xfd, 0xe7, 0x25]) { XCTAssertEqual(got, want, accuracy: 1) }
        for (got, want) in zip(byte(Heatmap.viridis(0.5)), [33, 145, 140]) { XCTAssertEqual(got, want, accuracy: 1) }
    }

    /// Diverging: blue at −1, white at 0, red at +1; zero is far from any negative value's colour.
    func testDivergingEndpointsAndZero() {
        XCTAssertEqual(byte(Heatmap.diverging(-1)), [0, 0, 255])
        XCTAssertEqual(byte(Heatmap.diverging(0)), [255, 255, 255])
        XCTAssertEqual(byte(Heatmap.diverging(1)), [255, 0, 0])
        let zero = Heatmap.diverging(0), negative = Heatmap.diverging(-0.5)
        XCTAssertGreaterThan(zero.0 - negative.0, 0.4)
    }

    /// A 64 px map becomes ≥ 192 px with nearest-neighbour blocks and a colour bar whose top is
    /// the colormap's high end and bottom its low end, with dark label text beside it.
    func testFigureUpscalesAndDrawsColourBar() {
        let map = (0..<(64 * 64)).map { Float($0) / 4096 * 2 - 1 }
        let f = HeatmapFigure(map: map, pixels: nil, height: 64, width: 64, channels: 1, signed: true)
        XCTAssertEqual(f.colormap, "blue-white-red")
        XCTAssertGreaterThanOrEqual(f.image.height, 192)
        XCTAssertGreaterThan(f.image.width, 192 + HeatmapFigure.gap + HeatmapFigure.barWidth, "room for the bar's labels")
        XCTAssertEqual(f.barOrigin, 192 + HeatmapFigure.gap)
        XCTAssertEqual(f.low, -f.high)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { let i = (y * f.image.width + x) * 3; return Array(f.image.pixels[i..<(i + 3)]) }
        XCTAssertEqual(pixel(0, 0), pixel(2, 2), "3 × 3 blocks")
        let barX = f.barOrigin + HeatmapFigure.barWidth / 2
        XCTAssertEqual(pixel(barX, 1), [255, 3, 3], "top of the bar is red")
        XCTAssertEqual(pixel(barX, 190), [3, 3, 255], "bottom of the bar is blue")
        let labelColumn = (0..<12).flatMap { y in (f.barOrigin + HeatmapFigure.barWidth..<f.image.width).map { pixel($0, y) } }
        XCTAssertTrue(labelColumn.contains([40, 40, 40]), "the high value is written beside the bar")
        let m = HeatmapFigure(map: map.map(abs), pixels: nil, height: 64, width: 64, channels: 1, signed: false)
        XCTAssertEqual(m.colormap, "viridis")
        XCTAssertLessThan(m.low, m.high)
    }

    /// MATLAB's jet: jet(8) is the documented [0 0 1; 0 .5 1; 0 1 1; .5 1 .5; 1 1 0; 1 .5 0; 1 0 0; .5 0 0],
    /// jet(64) runs from (0, 0, 0.5625) to (0.5, 0, 0), jet(256) runs from (0, 0, 0.5156) to (0.5, 0, 0).
    func testJetIsMATLABs() {
        let eight = Heatmap.jetTable(8).map { [$0.0, $0.1, $0.2] }
        XCTAssertEqual(eight, [[0, 0, 1], [0, 0.5, 1], [0, 1, 1], [0.5, 1, 0.5], [1, 1, 0], [1, 0.5, 0], [1, 0, 0], [0.5, 0, 0]])
        let sixtyFour = Heatmap.jetTable(64)
        XCTAssertEqual(sixtyFour[0].2, 0.5625); XCTAssertEqual(sixtyFour[63].0, 0.5)
        let t = Heatmap.jetTable(256)
        XCTAssertEqual([t[0].0, t[0].1, t[0].2], [0, 0, 33 / 64]); XCTAssertEqual([t[255].0, t[255].1, t[255].2], [0.5, 0, 0])
        XCTAssertEqual(Heatmap.jetTable(5).count, 5)
    }

    /// imagesc + AlphaData 0.5: the minimum takes jet's first row, the maximum its last, a value
    /// at 3/8 of the range row ⌊0.375·256⌋ = 96, each blended half-and-half with the image's own
    /// colour (not its gray); the bar spans minimum to maximum and is named jet.
    func testJetOverlayIsImagescAtHalfAlpha() {
        let map: [Float] = [-2, 6, 1, 4]
        let pixels: [UInt8] = [200, 0, 0, 0, 200, 0, 0, 0, 200, 100, 100, 100]
        let o = Heatmap.jetOverlay(map: map, pixels: pixels, height: 2, width: 2, channels: 3)
        let t = Heatmap.jetTable(256)
        for (i, row) in [0, 255, 96, 192].enumerated() {
            let c = [t[row].0, t[row].1, t[row].2]
            for ch in 0..<3 {
                XCTAssertEqual(Int(o.pixels[i * 3 + ch]), Int(((0.5 * Float(pixels[i * 3 + ch]) / 255 + 0.5 * c[ch]) * 255).rounded()), "pixel \(i) channel \(ch)")
            }
        }
        let f = HeatmapFigure(map: map, pixels: pixels, height: 2, width: 2, channels: 3, signed: false, jet: true)
        XCTAssertEqual(f.colormap, "jet"); XCTAssertEqual(f.low, -2); XCTAssertEqual(f.high, 6)
        // Row 1 of the 192-row bar (row 0 is its frame) is 1/191 below the top: jet row ⌊(1 − 1/191)·256⌋ = 254.
        let top = ((1 * f.image.width) + f.barOrigin + 2) * 3
        XCTAssertEqual(Array(f.image.pixels[top..<(top + 3)]), [t[254].0, t[254].1, t[254].2].map { UInt8(($0 * 255).rounded()) })
    }
}
