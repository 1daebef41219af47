import Foundation

/// The table `probity bench` prints: one row a figure with its median, the smallest and
/// largest of the repetitions, the spread, and the stage's peak resident memory.
public enum BenchmarkTable {
    public static func text(_ report: Benchmark.Report) -> String {
        func number(_ v: Double) -> String {
            v >= 100 ? String(format: "%.1f", v) : v >= 1 ? String(format: "%.2f", v) : String(format: "%.4f", v)
        }
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            s.count >= n ? s : left ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count)
        }
        var lines = [pad("figure", 50) + pad("median", 11, left: true) + "  " + pad("unit", 11) + pad("min–max", 21) + pad("spread", 8, left: true)
                     + pad("peak MB", 9, left: true) + "  note"]
        for r in report.rows {
            let n = r.value.values.count
            lines.append(pad(r.figure, 50) + pad(number(r.value.median), 11, left: true) + "  " + pad(r.unit, 11)
                         + pad("\(number(r.value.low))–\(number(r.value.high))", 21)
                         + pad(String(format: "%.1f%%", 100 * r.value.spread), 8, left: true)
                         + pad(r.peakMB.map { String(format: "%.0f", $0) } ?? "", 9, left: true)
                         + "  " + (r.note.isEmpty ? "" : r.note + "; ") + "n=\(n)")
        }
        let f = report.figures
        lines.append("")
        lines.append(String(format: "forward b32 %.1f %% of sgemm; fwd+bwd %.2f × fwd; IG50 %.2f × 51 fwd+bwd; perturbation %.1f %% and deletion+insertion %.1f %% of the forward rate; 1→2 threads %.2f ×; peak %.0f MB",
                            100 * f.forwardB32FractionOfSgemm, f.fwdBwdOverFwd, f.ig50OverFwdBwd, 100 * f.perturbationFractionOfForward,
                            100 * f.deletionInsertionFractionOfForward, f.twoThreadSpeedup, f.peakRssMb))
        return lines.joined(separator: "\n")
    }
}
