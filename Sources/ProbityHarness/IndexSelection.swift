import ProbityCore

/// Which samples of a dataset to use: `all`, a range (`0..99` inclusive, `0..<100`
/// exclusive) or a list (`3,7,10..12`).
public struct IndexSelection: Sendable, Equatable {
    public var text: String
    public init(_ text: String = "all") { self.text = text }

    /// The sorted, distinct indices for a dataset of `count` samples.
    public func resolve(count: Int) throws -> [Int] {
        if text == "all" || text.isEmpty { return Array(0..<count) }
        var result = Set<Int>()
        for part in text.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            let range: ClosedRange<Int>
            if let r = p.range(of: "..<") {
                guard let a = Int(p[..<r.lowerBound]), let b = Int(p[r.upperBound...]), b > a else { throw bad(p) }
                range = a...(b - 1)
            } else if let r = p.range(of: "..") {
                guard let a = Int(p[..<r.lowerBound]), let b = Int(p[r.upperBound...]), b >= a else { throw bad(p) }
                range = a...b
            } else {
                guard let a = Int(p) else { throw bad(p) }
                range = a...a
            }
            guard range.lowerBound >= 0, range.upperBound < count else {
                throw ProbityError.invalidArgument("--indices \(text): \(p) is outside the dataset's 0..<\(count)")
            }
            result.formUnion(range)
        }
        return result.sorted()
    }

    func bad(_ part: String) -> ProbityError {
        .invalidArgument("--indices \(text): cannot read `\(part)` (use all, 0..99, 0..<100 or 3,7,10..12)")
    }
}
