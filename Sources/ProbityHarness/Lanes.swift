import Foundation
import ProbityEngine
import ProbityExplainers

/// Batches side by side: a small model's ops are too short to split well over threads (the
/// quickstart on the shapes CNN ran 1.33 × faster on 2 threads than on 1, and 1.76 × with
/// its batches side by side), so `Explaining` and `Scoring` give each thread a batch of its
/// own, on its own copy of the model (`GraphModel.concurrentCopy`: the same weights, its own
/// plans; one thread each, or a share of the threads when there are more threads than lanes).
/// Reading the dataset and cache and writing results stay on the calling thread, in batch
/// order (HDF5 is used from one thread), so the files hold the same records either way, and
/// every kernel computes a sample the same way on any number of threads, so they hold the
/// same bits.
struct Lane {
    /// The model this lane's batch runs on.
    var model: any Model
    /// The other models metrics compare with, each lane with copies of its own.
    var loader: ModelLoader?
}

enum Lanes {
    /// A model whose batch-1 forward plan holds at most this many bytes is small (the shapes
    /// CNN's is 0.5 MB). Larger models (EfficientNet-Lite0's plan is 27 MB, its backward plans
    /// 55 MB a sample) run one batch at a time, whose samples the engine runs side by side
    /// within each call (`GraphModel+Lanes`), with one plan budget for the run.
    static let smallModelBytes = 4 << 20

    /// How many batches go side by side by default: the model's threads (at most the engine's
    /// `GraphModel.defaultMaxLanes`, each lane keeping plans of its own) for a small
    /// `GraphModel`, else 1.
    static func automaticCount(_ model: any Model) -> Int {
        guard model.threads > 1, let graph = model as? GraphModel, let bytes = try? graph.planBytes(batch: 1) else { return 1 }
        return bytes <= smallModelBytes ? Swift.min(model.threads, GraphModel.defaultMaxLanes) : 1
    }

    /// Whether `explainer` may run on a lane: not the methods that read or write files
    /// (`external`'s request and response, `precomputed`'s maps), which stay on the calling thread.
    static func allowed(_ explainer: (any Explainer)?) -> Bool {
        guard let explainer else { return true }
        return ![External.name, Precomputed.name].contains(type(of: explainer).name)
    }

    /// `count` lanes (`requested` or automatic, at most one per batch): one on `model` itself,
    /// or copies that share its threads (one each on 2 cores) and its plan-memory budget, their
    /// loaders handing out such a copy of each loaded model.
    static func make(model: any Model, loader: ModelLoader?, requested: Int?, batches: Int, explainer: (any Explainer)?) -> [Lane] {
        // One batch needs one lane: the model's size is looked at only when there are more.
        let count = batches > 1 ? Swift.max(1, Swift.min(requested ?? automaticCount(model), batches)) : 1
        guard count > 1, allowed(explainer), let graph = model as? GraphModel else { return [Lane(model: model, loader: loader)] }
        let threads = Swift.max(1, graph.threads / count)
        return (0..<count).map { _ in
            Lane(model: copy(graph, threads: threads, lanes: count), loader: loader.map { shared in
                ModelLoader { path in
                    let loaded = try shared.model(at: path)
                    return (loaded as? GraphModel).map { copy($0, threads: threads, lanes: count) } ?? loaded
                }
            })
        }
    }

    /// One lane's copy of `model`: `threads` threads and its share of the plan-memory budget.
    static func copy(_ model: GraphModel, threads: Int, lanes: Int) -> GraphModel {
        let lane = model.concurrentCopy(threads: threads)
        lane.planMemoryBudget = model.planMemoryBudget / lanes
        return lane
    }
}
