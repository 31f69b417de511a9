// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Inet",
    products: [
        // `import Inet`: the three modules below in one (most apps want this one).
        .library(name: "Inet", targets: ["Inet"]),
        .library(name: "InetCore", targets: ["InetCore"]),
        .library(name: "InetTLS", targets: ["InetTLS"]),
        .library(name: "InetEvents", targets: ["InetEvents"]),
        // A ServiceLifecycle `Service` for listeners and loop groups (its own module: the core
        // does not depend on ServiceLifecycle).
        .library(name: "InetServiceLifecycle", targets: ["InetServiceLifecycle"]),
        .executable(name: "inetcat", targets: ["inetcat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `swift package generate-documentation` (a command plugin: nothing of it is linked).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Thin C shims over what Glibc does not export cleanly to Swift. No logic.
        .target(name: "CInetLinux"),
        // The system OpenSSL 3 (apt: libssl-dev), found through pkg-config.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "InetTLS", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(
            name: "InetCore",
            dependencies: [
                "CInetLinux", "InetTLS",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InetEvents",
            dependencies: ["InetCore", "CInetLinux", .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "InetServiceLifecycle",
            dependencies: [
                "InetCore", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The umbrella: re-exports InetCore, InetTLS and InetEvents (no code of its own).
        .target(name: "Inet", dependencies: ["InetCore", "InetTLS", "InetEvents"], swiftSettings: strict),
        .executableTarget(
            name: "inetcat",
            dependencies: [
                "InetCore", "InetTLS", "InetEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Per-thread identity changes for tests (a thread's fsuid, its network namespace).
        .target(name: "CInetTestShims", path: "Tests/CInetTestShims"),
        // Fixtures shared by the test targets (certificates made at test time).
        .target(
            name: "InetTestSupport",
            dependencies: ["COpenSSL", "InetCore", "CInetTestShims"],
            path: "Tests/InetTestSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // libFuzzer targets over what takes outside input (issue 15): one library of targets,
        // replayed by FuzzCorpusTests; inet-fuzz replays files, or fuzzes when scripts/fuzz builds it.
        .target(
            name: "InetFuzzTargets",
            dependencies: ["InetCore", "InetTLS", "InetEvents", "InetTestSupport"],
            path: "Tests/Fuzz/InetFuzzTargets",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "inet-fuzz",
            dependencies: ["InetFuzzTargets"],
            path: "Tests/Fuzz/inet-fuzz",
            swiftSettings: strict
        ),
        .testTarget(
            name: "InetTLSTests",
            dependencies: ["InetTLS", "COpenSSL", "InetTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InetEventsTests",
            dependencies: ["Inet", "InetEvents", "InetCore", "InetTLS", "InetTestSupport"],
            swiftSettings: strict
        ),
        // Load, faults, hostile input and security checks (issue 6).
        .testTarget(
            name: "ReliabilityTests",
            // inetcat is the load tests' server process (built first, as for InetCoreTests).
            dependencies: ["InetCore", "InetEvents", "InetTLS", "InetTestSupport", "InetFuzzTargets", "inetcat"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InetServiceLifecycleTests",
            dependencies: [
                "InetServiceLifecycle", "InetCore", "InetTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InetCoreTests",
            // inetcat is a dependency so the binary the tests run is always built first.
            dependencies: [
                "InetCore", "CInetLinux", "inetcat", "InetTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
    ]
)
