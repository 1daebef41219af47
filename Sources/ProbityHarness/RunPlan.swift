import ProbityCore
import ProbityData

/// Part K of N of a run (`--shard K/N`, K = 1…N).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw ProbityError.invalidArgument("--shard \(index)/\(count): K must be between 1 and N (e.g. --shard 1/4 … 4/4)")
        }
        self.index = index; self.count = count
    }

    /// Parses `K/N`.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw ProbityError.invalidArgument("--shard must be K/N with whole numbers (e.g. 2/4), got \(text)")
        }
        try self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

/// The samples of a run and how they are cut into batches: the selected samples in index
/// order, cut into batches of `batch` consecutive ones. A shard takes a contiguous run of whole
/// batches (as equal in number as they can be), so every batch is one that a single run forms
/// and a sample's results cannot depend on how the run was split.
public struct RunPlan: Sendable, Equatable {
    public let samples: [Int]
    public let batch: Int

    public init(samples: [Int], batch: Int) {
        self.samples = samples; self.batch = max(1, batch)
    }

    /// The plan of a suite's selection over `dataset`.
    public init(_ selection: Suite.SampleSelection, dataset: Dataset, batch: Int, source: String) throws {
        var chosen: [Int]
        if let indices = selection.indices {
            if let bad = indices.first(where: { $0 >= dataset.count }) {
                throw ProbityError.badFile(source, "`samples` names sample \(bad), but \(dataset.path) has \(dataset.count) (0…\(dataset.count - 1))")
            }
            chosen = Array(Set(indices)).sorted()
        } else if let split = selection.split {
            guard dataset.split != nil else { throw ProbityError.badFile(source, "`samples.split` is given, but \(dataset.path) has no /split") }
            chosen = dataset.indices(split: UInt8(split))
        } else {
            chosen = Array(0..<dataset.count)
        }
        if let every = selection.every { chosen = chosen.enumerated().filter { $0.offset % every == 0 }.map(\.element) }
        if let first = selection.first { chosen = Array(chosen.prefix(first)) }
        guard !chosen.isEmpty else { throw ProbityError.badFile(source, "`samples` selects no sample of \(dataset.path)") }
        self.init(samples: chosen, batch: batch)
    }

    /// Every batch of the run.
    public var batches: [[Int]] {
        stride(from: 0, to: samples.count, by: batch).map { Array(samples[$0..<min(samples.count, $0 + batch)]) }
    }

    /// The batches of shard `shard` (all of them when nil).
    public func batches(of shard: Shard?) -> [[Int]] {
        let all = batches
        guard let shard else { return all }
        let lo = all.count * (shard.index - 1) / shard.count, hi = all.count * shard.index / shard.count
        return Array(all[lo..<hi])
    }
}
