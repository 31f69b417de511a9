import Foundation
import InetTestSupport
import Testing

/// `connect(delegate:)` takes its delegate `sending`: the compiler sees that the delegate
/// crosses to the loop thread, so a caller that keeps mutating a non-Sendable delegate after
/// handing it over gets an error instead of a data race. Checked by compiling two small programs
/// against the built modules (region isolation is a SIL pass, hence `-emit-sil`).
@Suite struct DelegateSendingTests {
    static let program = """
        import InetCore
        import InetEvents
        final class Counter: ConnectionDelegate {
            var reads = 0
            func connectionCanRead(_ connection: EventConnection) { reads += 1 }
        }
        func start() throws {
            let counter = Counter()
            _ = try Connector(host: "127.0.0.1", port: 1).connect(delegate: counter)
            USE
        }
        """

    /// Compiles `source`; returns the exit status and the diagnostics.
    static func compile(_ source: String) throws -> (Int32, String) {
        let build = URL(fileURLWithPath: ProcessFacts.inetcatPath).deletingLastPathComponent().path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let file = NSTemporaryDirectory() + "inet-sending-\(getpid())-\(source.hashValue).swift"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Peer.run(
            [
                "/usr/bin/env", "swiftc", "-emit-sil", "-o", "/dev/null", "-swift-version", "6", "-I",
                "\(build)/Modules",
                "-Xcc", "-fmodule-map-file=\(root)/Sources/COpenSSL/module.modulemap",
                "-Xcc", "-fmodule-map-file=\(build)/CInetLinux.build/module.modulemap",
                "-I", "\(root)/Sources/CInetLinux/include", file,
            ], allowFailure: true)
        return (result.status, result.output)
    }

    @Test func touchingTheDelegateAfterHandingItOverIsACompileError() throws {
        let (status, output) = try Self.compile(
            Self.program.replacingOccurrences(of: "USE", with: "counter.reads += 1"))
        #expect(status != 0)
        #expect(output.contains("sending value of non-Sendable type 'Counter' risks causing data races"), "\(output)")
    }

    @Test func handingItOverAndLettingGoCompiles() throws {
        let (status, output) = try Self.compile(Self.program.replacingOccurrences(of: "USE", with: ""))
        #expect(status == 0, "\(output)")
    }
}
