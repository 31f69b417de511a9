// swift-tools-version: 6.0
import PackageDescription

// Short programs that use Inet the way an app would, each run by CI against a real server
// (Examples/ci: nginx, redis-server, and many chat clients). Start reading here.
let package = Package(
    name: "InetExamples",
    dependencies: [
        .package(name: "Inet", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // An HTTP/1.1 client over TLS: keep-alive, Content-Length and chunked bodies (async API).
        .executableTarget(name: "http-get", dependencies: [.product(name: "Inet", package: "Inet")]),
        // A Redis client that pipelines commands (delegate API: read and write events).
        .executableTarget(name: "redis-pipeline", dependencies: [.product(name: "Inet", package: "Inet")]),
        // A line chat server: every line a client sends goes to every other client (async API).
        .executableTarget(
            name: "chat-server",
            dependencies: [
                .product(name: "Inet", package: "Inet"), .product(name: "InetServiceLifecycle", package: "Inet"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)
