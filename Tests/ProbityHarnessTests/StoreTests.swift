import Foundation
import XCTest
@testable import ProbityHarness
import ProbityCore
import ProbityData

/// The journal, the attribution cache and the score store: what is written is read back the
/// same before and after folding, a torn write cannot be trusted, and keys follow the seed.
final class StoreTests: XCTestCase {
    func scratch(_ name: String = #function) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probity-store-\(getpid())-\(name.filter { $0.isLetter })").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testJournalRecordsRoundTripAndDamageIsDetected() throws {
        let j = Journal(directory: try scratch() + "/j")
        let r = Journal.Record(header: ["a": "b"], floats: ["x": [1.5, .nan, -0]], integers: ["s": [3, -4]], strings: ["v": ["", "l/ssim"]])
        try j.append(r, name: "one")
        let back = try j.read("one")
        XCTAssertEqual(back.header, ["a": "b"])
        XCTAssertEqual(back.integers["s"], [3, -4])
        XCTAssertEqual(back.strings["v"], ["", "l/ssim"])
        XCTAssertEqual(back.floats["x"]?.map(\.bitPattern), [Float(1.5), .nan, -0].map(\.bitPattern))
        // A record cut short (as a torn write would be, which the atomic rename rules out) is refused.
        let path = j.directory + "/one.rec"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 3).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try j.read("one"))
        // No stray temporary files: only the record.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: j.directory), ["one.rec"])
    }

    func testCacheKeysFollowTheSeedOfSeededMethodsOnly() {
        XCTAssertEqual(AttributionCache.key(id: "rise@cells=7,masks=4000,p=0.5", seeded: true, seed: 3), "rise@cells=7,masks=4000,p=0.5,seed=3")
        XCTAssertEqual(AttributionCache.key(id: "random", seeded: true, seed: 0), "random@seed=0")
        XCTAssertEqual(AttributionCache.key(id: "saliency@abs=true", seeded: false, seed: 3), "saliency@abs=true")
    }

    func testCacheReadsPendingAndFoldedAlikeAndRefusesOtherModels() throws {
        let path = try scratch() + "/a.h5"
        let cache = try AttributionCache(path: path)
        var entry = AttributionCache.Entry(key: "k@x=1", optionsJSON: "{\"x\":\"1\"}", target: "predicted", modelSHA256: "m", datasetSHA256: "d")
        (entry.count, entry.height, entry.width) = (5, 2, 3)
        XCTAssertFalse(try cache.prepare(entry, replace: false))
        let maps = (0..<12).map(Float.init)
        try cache.store("k@x=1", samples: [1, 3], maps: maps, targets: [7, 8], diagnostics: ["gap": [0.5, 0.25]], seconds: 2)
        func check() throws {
            XCTAssertEqual(try cache.done("k@x=1"), [false, true, false, true, false])
            XCTAssertEqual(try cache.targets("k@x=1"), [-1, 7, -1, 8, -1])
            XCTAssertEqual(try cache.maps("k@x=1", samples: [3, 1]), [Array(maps[6...]), Array(maps[..<6])])
            XCTAssertEqual(try cache.diagnostics("k@x=1")["gap"]?[3], 0.25)
            XCTAssertEqual(try cache.options("k@x=1"), ["x": "1"])
            XCTAssertEqual(try cache.seconds("k@x=1"), 2)
            XCTAssertEqual(try cache.keys(), ["k@x=1"])
        }
        try check()
        try cache.commit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".journal"))
        try check()
        // Another model: refused, or started anew when replacing.
        var other = entry
        other.modelSHA256 = "m2"
        XCTAssertThrowsError(try cache.prepare(other, replace: false)) { XCTAssertTrue("\($0)".contains("another model (SHA-256 m)"), "\($0)") }
        XCTAssertTrue(try cache.prepare(other, replace: true))
        XCTAssertEqual(try cache.done("k@x=1"), [false, false, false, false, false])
        try cache.commit()
        XCTAssertEqual(try cache.done("k@x=1"), [false, false, false, false, false])
        XCTAssertEqual(try cache.info("k@x=1")?.modelSHA256, "m2")
    }

    func testScoreStoreKeepsVariantsStatusesAndCurvesAndRestartsOnAnotherContext() throws {
        let store = ScoreStore(path: try scratch() + "/s.h5")
        try store.prepare(metric: "m@a=1", explainer: "e", count: 4, context: "c1")
        try store.store(metric: "m@a=1", explainer: "e", ScoreStore.Batch(samples: [0, 2], variants: ["", "v"], values: [1, 2, 3, .nan],
                                                                          status: ["ok", "constant", "ok", "nan"], curves: [[1, 0.5], [1, 0.25]], seconds: 1))
        func check() throws {
            let e = try XCTUnwrap(try store.entry(metric: "m@a=1", explainer: "e"))
            XCTAssertEqual(e.done, [true, false, true, false])
            XCTAssertEqual(e.variants, ["", "v"])
            XCTAssertEqual([e.value(0, 0), e.value(0, 1), e.value(2, 0)], [1, 2, 3])
            XCTAssertEqual([e.status(0, 1), e.status(2, 1), e.status(1, 0)], ["constant", "nan", "failed"])
            XCTAssertEqual(e.curve(2).map(Array.init), [1, 0.25])
        }
        try check()
        try store.commit()
        try check()
        XCTAssertFalse(try store.prepare(metric: "m@a=1", explainer: "e", count: 4, context: "c1"))
        XCTAssertTrue(try store.prepare(metric: "m@a=1", explainer: "e", count: 4, context: "c2"))
        XCTAssertEqual(try store.entry(metric: "m@a=1", explainer: "e")?.done, [false, false, false, false])
    }

    func testShardsCoverEveryBatchOnceInOrder() throws {
        let plan = RunPlan(samples: Array(stride(from: 0, to: 100, by: 3)), batch: 4)   // 34 samples, 9 batches
        XCTAssertEqual(plan.batches.count, 9)
        for n in 1...11 {
            let parts = try (1...n).map { plan.batches(of: try Shard(index: $0, count: n)) }
            XCTAssertEqual(parts.flatMap { $0 }, plan.batches, "N = \(n)")
            XCTAssertLessThanOrEqual((parts.map(\.count).max() ?? 0) - (parts.map(\.count).min() ?? 0), 1)
        }
        XCTAssertEqual(try Shard("2/4"), try Shard(index: 2, count: 4))
        for bad in ["3/2", "0/2", "1/0", "a/b", "2", "1/2/3"] { XCTAssertThrowsError(try Shard(bad), bad) }
    }
}
