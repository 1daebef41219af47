import Foundation

/// How each explainer is drawn, the same in every chart of a report: methods get colours of
/// the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies, in order
/// of appearance), controls get greys with a dash pattern and hatched bars, so a reader sees
/// at a glance which entries are baselines that every method should beat.
struct ChartStyle {
    struct Look { let color: String; let dash: String?; let control: Bool; let label: String; let tooltip: String }

    /// Vertical spacing of legend entries, in pixels.
    static let legendRow = 20.0
    /// Labels longer than this are cut with an ellipsis (the tooltip keeps the whole name).
    static let maximumLabel = 24

    static let methodColors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#44AA99", "#117733", "#AA4499"]
    static let controlColors = ["#6e6e6e", "#9a9a9a", "#444444"]
    static let controlDashes = ["7 4", "2 3", "9 3 2 3"]

    private(set) var looks: [String: Look] = [:]
    /// The explainer ids in drawing order (as given).
    let explainers: [String]

    init(explainers: [String]) {
        self.explainers = explainers
        let labels = ExplainerName.labels(explainers).mapValues(Self.shortened)
        var m = 0, c = 0
        for id in explainers {
            let name = ExplainerName(id)
            let tip = name.optionText.isEmpty ? name.name : "\(name.name) (\(name.optionText))"
            if name.isControl {
                looks[id] = Look(color: Self.controlColors[c % Self.controlColors.count], dash: Self.controlDashes[c % Self.controlDashes.count],
                                 control: true, label: labels[id]!, tooltip: tip + " — control")
                c += 1
            } else {
                looks[id] = Look(color: Self.methodColors[m % Self.methodColors.count], dash: nil, control: false, label: labels[id]!, tooltip: tip)
                m += 1
            }
        }
    }

    func look(_ id: String) -> Look {
        looks[id] ?? Look(color: "#000000", dash: nil, control: ExplainerName(id).isControl, label: ExplainerName(id).name, tooltip: id)
    }

    /// The fill of a bar: a flat colour for methods, a hatch pattern (defined by `hatch`) for controls.
    func barFill(_ id: String) -> String {
        let l = look(id)
        return l.control ? "url(#hatch-\(Self.patternKey(l.color)))" : l.color
    }

    /// `<pattern>` definitions for the control hatches.
    func hatchPatterns() -> [String] {
        Set(explainers.map(look).filter(\.control).map(\.color)).sorted().map { color in
            "<pattern id=\"hatch-\(Self.patternKey(color))\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\">"
                + "<rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"\(color)\" stroke-width=\"3\"/></pattern>"
        }
    }

    private static func patternKey(_ color: String) -> String { color.filter(\.isHexDigit) }

    /// `s`, cut to `maximumLabel` characters with a trailing ellipsis when longer.
    static func shortened(_ s: String) -> String { s.count > maximumLabel ? String(s.prefix(maximumLabel - 1)) + "…" : s }

    /// "higher is better" or "lower is better".
    static func direction(_ higherIsBetter: Bool) -> String { higherIsBetter ? "higher is better" : "lower is better" }
}
