import Foundation

enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func repo(_ relative: String) -> String { repository.appendingPathComponent(relative).path }
    static let lite0 = repo("models/efficientnet_lite0.onnx")
    static let lite0Fixture = repo("Tests/Fixtures/efficientnet_lite0.expected.h5")
}
