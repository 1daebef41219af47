import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses an SVG as XML (so a test fails on markup that is not well formed) and collects its
/// elements with their attributes and text, for reading coordinates back.
final class SVGElements: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text: String }
    private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private(set) var error: Error?

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError ?? NSError(domain: "svg", code: 1) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes, text: "")); stack.append(elements.count - 1)
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if let i = stack.last { elements[i].text += string } }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { stack.removeLast() }

    func withClass(_ c: String) -> [Element] { elements.filter { $0.attributes["class"] == c } }
}

extension SVGElements.Element {
    func number(_ key: String) -> Double { Double(attributes[key] ?? "") ?? .nan }
}
