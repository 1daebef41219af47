import Yams

/// Numbers in suites and gate policies, read from the scalar's text by Swift's own parsers
/// (`Int("12")`, `Double("0.8")`) rather than by Yams' YAML 1.1 constructors: those also take
/// base-60 forms such as `1:20:00` and trap on integer overflow in them (found by `make fuzz`,
/// `Tests/Fixtures/bad/fuzz_suite_sexagesimal_overflow.yaml`). Decimal integers, decimals and
/// exponents read as before; anything else is not a number.
extension Node {
    /// The scalar as a decimal integer, or nil.
    var decimalInteger: Int? { scalar.flatMap { Int($0.string) } }

    /// The scalar as a decimal number (`.inf` and `.nan` as YAML spells them), or nil.
    var decimalNumber: Double? {
        guard let s = scalar?.string else { return nil }
        switch s.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: return Double(s)
        }
    }
}
