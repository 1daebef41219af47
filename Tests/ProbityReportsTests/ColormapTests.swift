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
}
