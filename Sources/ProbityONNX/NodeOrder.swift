import ProbityCore

/// The order the importer evaluates an ONNX graph's nodes in, and the cycle it names when
/// there is none.
///
/// The order is the one a simple rule gives: sweep the node list from the top again and again,
/// placing every node whose inputs are all known by then (initializers, graph inputs, outputs
/// of nodes placed before it), until a sweep places nothing. A sorted graph (what exporters
/// write) is placed as it stands, in one sweep; an unsorted one node by node as its inputs
/// appear. Sweeping literally costs one sweep per node in the worst case — O(n²) on a
/// 200 000-node chain listed backwards, which a hostile file can be. So the sweeps are
/// computed instead: node i is placed in sweep
///
///     sweep(i) = max(1, max over inputs x of sweep(p) + (p > i ? 1 : 0)),
///
/// where p is the node that first made x known (a producer listed after i is only seen on the
/// next sweep), and the order is by (sweep, position). Kahn's algorithm with a producer map
/// and a min-heap on that key finds it in O((n + e) log n) for n nodes and e input edges, the
/// same order the sweeps give for every graph.
extension ONNXImporter {
    /// Nodes in an order where every input is produced first; the nodes that cannot be placed
    /// (a missing input or a cycle) in file order; and every name known once the placed nodes
    /// have run.
    func topologicalOrder() -> (order: [Onnx_NodeProto], unplaced: [Onnx_NodeProto], known: Set<String>) {
        let nodes = model.graph.node
        var known = Set(model.graph.initializer.map(\.name)).union(model.graph.input.map(\.name))
        known.insert("")
        // The names each node still waits for, and who waits for each name.
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers: [String: [Int]] = [:]
        for (i, node) in nodes.enumerated() {
            for name in Set(node.input) where !known.contains(name) {
                waiting[i] += 1
                readers[name, default: []].append(i)
            }
        }
        // Key (sweep, position) as one integer: sweep × (n + 1) + position.
        let stride = nodes.count + 1
        var sweep = [Int](repeating: 1, count: nodes.count)
        var heap = MinHeap()
        for i in nodes.indices where waiting[i] == 0 { heap.push(stride + i) }
        var order: [Onnx_NodeProto] = []
        var placed = [Bool](repeating: false, count: nodes.count)
        while let key = heap.pop() {
            let (s, p) = key.quotientAndRemainder(dividingBy: stride)
            order.append(nodes[p])
            placed[p] = true
            for name in nodes[p].output where known.insert(name).inserted {
                for r in readers[name] ?? [] {
                    sweep[r] = max(sweep[r], s + (p > r ? 1 : 0))
                    waiting[r] -= 1
                    if waiting[r] == 0 { heap.push(sweep[r] * stride + r) }
                }
            }
        }
        return (order, nodes.indices.filter { !placed[$0] }.map { nodes[$0] }, known)
    }

    /// Of `unplaced` nodes that all wait on one another (no input is missing from the file),
    /// those on a cycle or between cycles: the nodes that only come after a cycle (feeding no
    /// other waiting node, directly or through such nodes) are dropped. In file order; O(n + e).
    static func cycle(among unplaced: [Onnx_NodeProto]) -> [Onnx_NodeProto] {
        var producers: [String: [Int]] = [:]
        for (i, node) in unplaced.enumerated() { for name in Set(node.output) { producers[name, default: []].append(i) } }
        // feeds[i]: the waiting nodes that read an output of i; fed[j]: the nodes j reads from.
        var feeds = [Int](repeating: 0, count: unplaced.count)
        var fed = [[Int]](repeating: [], count: unplaced.count)
        for (j, node) in unplaced.enumerated() {
            var from = Set<Int>()
            for name in Set(node.input) { from.formUnion(producers[name] ?? []) }
            fed[j] = Array(from)
            for i in from { feeds[i] += 1 }
        }
        // Peel the nodes that feed nothing still kept, then the ones that only fed those.
        var kept = [Bool](repeating: true, count: unplaced.count)
        var sinks = unplaced.indices.filter { feeds[$0] == 0 }
        while let j = sinks.popLast() {
            kept[j] = false
            for i in fed[j] where kept[i] {
                feeds[i] -= 1
                if feeds[i] == 0 { sinks.append(i) }
            }
        }
        let cycle = unplaced.indices.filter { kept[$0] }.map { unplaced[$0] }
        return cycle.isEmpty ? unplaced : cycle
    }
}

/// A binary min-heap of integers (the node order's keys).
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left] < items[smallest] { smallest = left }
                if right < items.count && items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
