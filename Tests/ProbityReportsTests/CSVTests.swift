import XCTest
@testable import ProbityReports

final class CSVTests: XCTestCase {
    /// What pandas' reader gives back for each field (quoting, doubled quotes, line breaks).
    func testRoundTrip() {
        let rows = [["a,b", "say \"hi\"", "two\nlines", "plain"], ["", "1.5", "nan", "x"]]
        let text = CSV.text(header: ["h1", "h2", "h3", "h4"], rows: rows)
        XCTAssertEqual(text, "h1,h2,h3,h4\n\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\n,1.5,nan,x\n")
        XCTAssertEqual(CSV.parse(text), [["h1", "h2", "h3", "h4"]] + rows)
    }

    /// A name from data that a spreadsheet would run as a formula stays text; numbers stay numbers.
    func testFormulaInjectionIsInert() {
        XCTAssertEqual(CSV.field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"")
        XCTAssertEqual(CSV.field("@cmd"), "'@cmd")
        XCTAssertEqual(CSV.field("\t=1+1"), "'\t=1+1")
        XCTAssertEqual(CSV.field("\r=1+1"), "\"'\r=1+1\"")
        XCTAssertEqual(CSV.field("-2+3"), "'-2+3")
        XCTAssertEqual(CSV.field("-0.25"), "-0.25")
        XCTAssertEqual(CSV.field("+1e-3"), "+1e-3")
        XCTAssertEqual(CSV.number(Double.infinity), "nan")
        XCTAssertEqual(CSV.number(0.1), "0.1")
    }
}
