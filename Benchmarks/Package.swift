// swift-tools-version: 6.0
// The benchmark suite (issue 5): its own package, so SwiftNIO — the peer Inet is measured
// against — never becomes a dependency of the library. `./run` builds and runs everything.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "InetBenchmarks",
    dependencies: [
        .package(name: "Inet", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
    ],
    targets: [
        // Command line, RESULT lines, the malloc counter hook: shared by both clients.
        .target(name: "BenchSupport", swiftSettings: strict),
        .executableTarget(
            name: "inet-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "InetCore", package: "Inet"),
                .product(name: "InetEvents", package: "Inet"),
                .product(name: "InetTLS", package: "Inet"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "nio-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
