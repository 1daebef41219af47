// swift-tools-version:6.0
// Probity: scores explanation methods for image models against each other.
// Targets follow ../shared/DESIGN.md, lowest layer first.
import Foundation
import PackageDescription

let package = Package(
    name: "Probity",
    products: [
        .library(name: "ProbityCore", targets: ["ProbityCore"]),
        .library(name: "ProbityData", targets: ["ProbityData"]),
        .library(name: "ProbityEngine", targets: ["ProbityEngine"]),
        .library(name: "ProbityONNX", targets: ["ProbityONNX"]),
        .library(name: "ProbityExplainers", targets: ["ProbityExplainers"]),
        .library(name: "ProbityMetrics", targets: ["ProbityMetrics"]),
        .library(name: "ProbityReports", targets: ["ProbityReports"]),
        .library(name: "ProbityHarness", targets: ["ProbityHarness"]),
        .executable(name: "probity", targets: ["probity"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),             // suite and gate policy files
    ],
    targets: [
        // C libraries from Debian packages, wrapped by module maps and header-only shims.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libjpeg-turbo (Debian's libjpeg62-turbo-dev) behind a small C decoder that keeps libjpeg's longjmp in C.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),   // SHA-256 of model and dataset files

        .target(name: "ProbityCore", dependencies: ["CBLAS"]),
        .target(name: "ProbityData", dependencies: ["ProbityCore", "CHDF5", "CPNG", "CJPEG"]),
        .target(name: "ProbityEngine", dependencies: ["ProbityCore"]),
        .target(name: "ProbityONNX", dependencies: [
            "ProbityEngine",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "ProbityExplainers", dependencies: ["ProbityEngine", "ProbityData"]),   // Data: external and precomputed maps
        .target(name: "ProbityMetrics", dependencies: ["ProbityEngine", "ProbityExplainers"]),  // other models (the data-randomization twin) come through a ModelLoader
        // Pure writers from result rows: CSV, SVG charts, HTML, JUnit XML, Markdown, heatmap PNGs.
        .target(name: "ProbityReports", dependencies: ["ProbityCore", "ProbityData", "ProbityMetrics"]),
        // Suites, planner, runner, attribution cache and score store, shards and merge, gate.
        .target(name: "ProbityHarness", dependencies: [
            "ProbityData", "ProbityONNX", "ProbityExplainers", "ProbityMetrics", "ProbityReports", "CCrypto",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "probity", dependencies: [
            "ProbityCore", "ProbityData", "ProbityEngine", "ProbityONNX", "ProbityExplainers", "ProbityMetrics", "ProbityReports", "ProbityHarness",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "ProbityCoreTests", dependencies: ["ProbityCore", "ProbityData"]),  // ProbityData reads the HDF5 fixtures
        .testTarget(name: "ProbityDataTests", dependencies: ["ProbityData"]),
        .testTarget(name: "ProbityEngineTests", dependencies: ["ProbityEngine"]),
        .testTarget(name: "ProbityExplainersTests", dependencies: ["ProbityExplainers", "ProbityONNX", "ProbityData", "ProbityHarness"]),
        .testTarget(name: "ProbityMetricsTests", dependencies: ["ProbityMetrics", "ProbityExplainers", "ProbityONNX"]),
        .testTarget(name: "ProbityReportsTests", dependencies: ["ProbityReports", "ProbityMetrics", "ProbityData"]),
        .testTarget(name: "ProbityHarnessTests", dependencies: ["ProbityHarness", "ProbityReports", "ProbityMetrics", "ProbityExplainers", "ProbityData"]),
        .testTarget(name: "ProbityONNXTests", dependencies: ["ProbityONNX", "ProbityData", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    exclude: ["conformance.txt"]),
        .testTarget(name: "ProbityCLITests", dependencies: ["ProbityData", "ProbityONNX", "ProbityExplainers", "probity"]),  // runs the built `probity` as a process
    ]
)

// libFuzzer targets (Tests/Fuzz/): declared only when PROBITY_FUZZ is set, as `make fuzz` does,
// so `swift build`, `make test` and CI never build them. Each is an executable whose main is
// libFuzzer's; `make fuzz` compiles every module with -sanitize=fuzzer,address for coverage.
if ProcessInfo.processInfo.environment["PROBITY_FUZZ"] != nil {
    let flags: [String] = ["-parse-as-library", "-sanitize=fuzzer,address"]
    package.targets.append(.target(name: "CFuzzer", path: "Tests/Fuzz/CFuzzer"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "Tests/Fuzz/FuzzSupport"))
    for (name, module) in [("FuzzONNX", "ProbityONNX"), ("FuzzPNG", "ProbityData"), ("FuzzSuite", "ProbityHarness"), ("FuzzDataset", "ProbityData")] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzSupport", .target(name: module), "ProbityCore"], path: "Tests/Fuzz/\(name)",
                                                 swiftSettings: [.unsafeFlags(flags)], linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
