import Foundation
import ProbityCore

/// What a model and its randomized copies share, so a run that randomizes the same layers for
/// batch after batch (model randomization, cascading) imports the graph and draws each layer's
/// new weights once, not once per batch and copy: the source's graphs for the last few batch
/// sizes (their constants are copy-on-write, so copies share them), and the re-initialized
/// weights of each (layer, seed) — `Randomization` draws every layer from its own stream, so
/// the weights of a set of layers are the union of the layers' weights.
final class SharedImports: @unchecked Sendable {
    private let lock = NSLock()
    private let source: @Sendable (_ batch: Int) throws -> Graph
    /// Imported graphs, most recently used last.
    private var graphs: [(batch: Int, graph: Graph)] = []
    private var weights: [String: [String: Tensor]] = [:]
    /// Graphs kept (each holds a copy of the weights).
    static let graphLimit = 3

    init(_ source: @escaping @Sendable (_ batch: Int) throws -> Graph) { self.source = source }

    /// The source's graph for `batch`, its MatMuls told where the samples are (`SampleLayout`).
    func graph(batch: Int) throws -> Graph {
        lock.lock(); defer { lock.unlock() }
        if let k = graphs.firstIndex(where: { $0.batch == batch }) {
            let entry = graphs.remove(at: k)
            graphs.append(entry)
            return entry.graph
        }
        var g = try source(batch)
        SampleLayout.annotate(&g, batch: batch) { try source(batch + 1) }
        if graphs.count >= SharedImports.graphLimit { graphs.removeFirst() }
        graphs.append((batch, g))
        return g
    }

    /// The re-initialized constants of `layers` (by constant name) with `seed`, drawn once each.
    func reinitialized(layers names: [String], seed: UInt64) throws -> [String: Tensor] {
        let base = try graph(batch: 1)
        lock.lock(); defer { lock.unlock() }
        var result: [String: Tensor] = [:]
        for name in names {
            let key = "\(seed)|\(name)"
            if weights[key] == nil { weights[key] = try Randomization.reinitialize(graph: base, layers: [name], seed: seed) }
            result.merge(weights[key]!) { $1 }
        }
        return result
    }
}
