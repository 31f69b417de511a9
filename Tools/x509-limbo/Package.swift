// swift-tools-version: 6.0
// Measures Inet's certificate verification against x509-limbo's test vectors (issue 11). Its own
// package, built by hand (see README.md); CI never builds it. Commits none of the vectors.
import PackageDescription

let package = Package(
    name: "X509LimboHarness",
    dependencies: [.package(name: "Inet", path: "../..")],
    targets: [
        .executableTarget(
            name: "limbo-harness",
            dependencies: [.product(name: "InetTLS", package: "Inet")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
