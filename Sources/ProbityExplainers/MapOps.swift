import ProbityCore
import ProbityEngine

/// Channel reductions and resizing of maps, as DESIGN.md fixes them: gradient-magnitude
/// methods take the maximum absolute value over channels, signed methods sum over channels.
public enum MapOps {
    /// [N, C, H, W] → [N, H, W]: max over channels of |v|.
    public static func maxAbs(_ t: Tensor) -> Tensor {
        reduce(t) { values in values.reduce(0) { Swift.max($0, abs($1)) } }
    }

    /// [N, C, H, W] → [N, H, W]: sum over channels.
    public static func sum(_ t: Tensor) -> Tensor { reduce(t) { $0.reduce(0, +) } }

    static func reduce(_ t: Tensor, _ f: ([Float]) -> Float) -> Tensor {
        let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var out = Tensor(shape: [n, h, w])
        var values = [Float](repeating: 0, count: c)
        for s in 0..<n {
            for i in 0..<(h * w) {
                for ch in 0..<c { values[ch] = t.storage[(s * c + ch) * h * w + i] }
                out.storage[s * h * w + i] = f(values)
            }
        }
        return out
    }

    /// Bilinear resize of [N, h, w] maps to [N, H, W] (half-pixel centers, as cv2 and Pillow).
    public static func upsample(_ maps: Tensor, height: Int, width: Int) -> Tensor {
        if maps.shape[1] == height && maps.shape[2] == width { return maps }
        return maps.resized(height: height, width: width, method: .bilinear)
    }

    /// Row `i` of each of `count` copies stacked: [count·1, C, H, W] from a [1, C, H, W] tensor.
    public static func repeated(_ x: Tensor, _ count: Int) -> Tensor {
        var out = Tensor(shape: [count] + Array(x.shape.dropFirst()))
        for k in 0..<count { out.storage.replaceSubrange((k * x.count)..<((k + 1) * x.count), with: x.storage) }
        return out
    }

    /// Softmax probability of column `k` in each row of logits.
    public static func probability(_ logits: Tensor, row: Int, class k: Int) -> Float {
        let c = logits.shape[1]
        let r = logits.storage[(row * c)..<((row + 1) * c)]
        let m = r.max()!
        var sum: Float = 0
        for v in r { sum += expf(v - m) }
        return expf(logits.storage[row * c + k] - m) / sum
    }
}

import Foundation
