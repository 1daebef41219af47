import ProbityCore
import ProbityData
import ProbityExplainers

/// Installs ProbityData's PNG reader as the loader of image baselines and substrates (a
/// `.png` path as `baseline=` or `substrate=`), converting gray ↔ RGB to the model's channels.
/// Every harness entry point calls it, so an image baseline works in `explain`, `evaluate` and
/// `run` alike; installing twice is harmless.
public enum PNGBaselineLoader {
    public static func install() {
        PNGBaseline.loader = { path, channels in
            let image = try PNGImage(contentsOf: path)
            let planes = image.planes
            guard planes.shape[0] == channels || planes.shape[0] == 3 || planes.shape[0] == 1 else {
                throw ProbityError.badFile(path, "has \(planes.shape[0]) channels, the model takes \(channels)")
            }
            var t = planes
            if planes.shape[0] != channels {
                // gray ↔ RGB: repeat or average.
                let plane = image.width * image.height
                t = Tensor(shape: [channels, image.height, image.width])
                for c in 0..<channels { for i in 0..<plane {
                    t.storage[c * plane + i] = planes.shape[0] == 1 ? planes.storage[i] : (0..<3).reduce(0) { $0 + planes.storage[$1 * plane + i] } / 3
                } }
            }
            return PNGBaseline.Image(width: image.width, height: image.height, planes: t.storage)
        }
    }
}
