import XCTest
import Foundation
import ProbityCore
@testable import ProbityData

final class HDF5Tests: XCTestCase {
    func testRoundTripRowsAppendStringsAttributes() throws {
        let path = try scratchDirectory() + "/t.h5"
        do {
            let f = try HDF5File(path: path, mode: .truncate)
            try f.write("/group/values", (0..<24).map(Float.init), shape: [4, 3, 2])
            try f.create("/grow", of: Int64.self, shape: [0, 2], growable: true)
            try f.append("/grow", [1, 2, 3, 4] as [Int64])
            try f.append("/grow", [5, 6] as [Int64])
            try f.write("/group/values", rowsFrom: 1, [Float](repeating: -1, count: 6))
            try f.writeStrings("/names", ["α", "", "long name"])
            try f.setAttribute("scale", .floats([2, 0.5]))
            try f.setAttribute("n", .integers([7]))
            try f.setAttribute("text", .string("héllo"), on: "/group/values")
        }
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.info("/group/values").shape, [4, 3, 2])
        XCTAssertEqual(try f.read("/group/values", rows: 1..<3, as: Float.self), [Float](repeating: -1, count: 6) + (12..<18).map(Float.init))
        XCTAssertEqual(try f.read("/grow", as: Int64.self), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try f.info("/grow").maxShape, [nil, 2])
        XCTAssertEqual(try f.readStrings("/names"), ["α", "", "long name"])
        XCTAssertEqual(try f.attribute("scale")?.floatArray, [2, 0.5])
        XCTAssertEqual(try f.attribute("n")?.integer, 7)
        XCTAssertEqual(try f.attribute("text", on: "/group/values")?.text, "héllo")
        XCTAssertNil(try f.attribute("absent"))
        XCTAssertEqual(try f.members(of: "/"), ["group", "grow", "names"])
    }

    func testBadFilesGiveErrorsNamingTheFile() throws {
        let dir = try scratchDirectory()
        assertBadInput(try HDF5File(path: dir + "/missing.h5"), file: dir + "/missing.h5", mentions: "no such file")
        try Data("plain text".utf8).write(to: URL(fileURLWithPath: dir + "/text.h5"))
        assertBadInput(try HDF5File(path: dir + "/text.h5"), file: dir + "/text.h5", mentions: "not an HDF5 file")
        // A real file cut short: the superblock survives but the data does not.
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("h5py_dataset.h5")))
        try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: dir + "/cut.h5"))
        do {
            let f = try HDF5File(path: dir + "/cut.h5")
            _ = try f.read("/images", as: UInt8.self)
            XCTFail("reading a truncated file should fail")
        } catch let error as ProbityError {
            XCTAssert(error.description.contains(dir + "/cut.h5"), error.description)
        }
        let f = try HDF5File(path: Fixtures.path("h5py_dataset.h5"))
        assertBadInput(try f.read("/nothing", as: Float.self), file: Fixtures.path("h5py_dataset.h5"), mentions: "/nothing: missing dataset")
        assertBadInput(try f.read("/labels", rows: 3..<9, as: Int64.self), file: Fixtures.path("h5py_dataset.h5"), mentions: "out of range")
    }
}
