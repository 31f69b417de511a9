import Glibc
import InetTestSupport
import InetTLS
import Testing
@testable import InetCore
import InetEvents

/// A reproducible pseudo-random source (SplitMix64). The seed is printed; set INET_FUZZ_SEED to
/// replay a run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded random drivers over the validation entry points and the TLS engine's ciphertext input,
/// bounded in count and time. Under CI's AddressSanitizer run they double as a memory-safety
/// check of the OpenSSL boundary.
@Suite struct FuzzTests {
    static let seed: UInt64 = getenv("INET_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 0x1E7_F022
    static let budget: Duration = .seconds(3)

    static func random() -> SplitMix64 {
        print("FUZZ seed \(seed) (INET_FUZZ_SEED to replay)")
        return SplitMix64(state: seed)
    }

    /// Host-like text built from pieces that matter to parsers, or raw bytes.
    static func hostText(_ rng: inout SplitMix64) -> String {
        let pieces = [
            "a", "example", "-", ".", "_", "/", ":", "::", "[", "]", "%", "lo", "é", "\u{0}", " ", "1", "255",
            "256", "127.0.0.1", "::1", "fe80::1", "http://", "xn--", "*", "@", "0x7f",
            String(repeating: "a", count: 64),
        ]
        if Bool.random(using: &rng) {
            return (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        let bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func connectorValidationNamesEveryProblem() {
        var rng = Self.random()
        let allowed: Set<InetErrorCode> = [
            .invalidHostName, .invalidPort, .invalidOptions, .invalidAddress, .invalidTimeout,
            .invalidParameter, .addressFamilyNotSupported, .credentialsNotFound,
            .credentialsInvalid,
        ]
        let deadline = ContinuousClock.now + Self.budget
        var tried = 0
        var refused = 0
        while tried < 20_000, ContinuousClock.now < deadline {
            tried += 1
            let ports = [
                -1, 0, 1, 80, 65_535, 65_536, Int.max, Int.min, Int.random(in: -100_000...100_000, using: &rng),
            ]
            let timeouts: [Duration] = [.zero, .seconds(-1), .milliseconds(1), .seconds(20), .seconds(86_400 * 100)]
            var c = Connector(
                host: Self.hostText(&rng), port: ports.randomElement(using: &rng)!,
                protocol: Bool.random(using: &rng) ? .tcp : .udp, timeout: timeouts.randomElement(using: &rng)!,
                options: Bool.random(using: &rng)
                    ? .default
                    : InetOptions(
                        rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)
                            & (Bool.random(using: &rng) ? 0x1FFF : 0xFFFF_FFFF)))
            if Int.random(in: 0..<4, using: &rng) == 0 { c.localAddress = Self.hostText(&rng) }
            if Int.random(in: 0..<4, using: &rng) == 0 { c.localPort = ports.randomElement(using: &rng)! }
            // let the host reach its own checks
            if Bool.random(using: &rng) { (c.port, c.timeout) = (80, .seconds(5)) }
            do {
                try c.validate()
            } catch {
                refused += 1
                #expect(allowed.contains(error.code), "\(error.code) for \(c.host)")
                #expect(!error.message.isEmpty)
            }
        }
        print(
            "FUZZ connector: \(tried) inputs, \(refused) refused with a named error, \(tried - refused) valid, none crashed"
        )
        #expect(tried > 100)
        #expect(refused < tried, "the generator should also produce valid inputs")
    }

    /// A real server flight (ServerHello … Finished) captured in memory, then mutated: the client
    /// engine must fail with a TLS error or wait for more input — never crash, hang or succeed.
    @Test func tlsEngineSurvivesHostileCiphertext() throws {
        var rng = Self.random()
        let clientContext = try TLSContext(
            TLSConfiguration(
                role: .client, credentials: SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))))
        let serverContext = try TLSContext(
            TLSConfiguration(
                role: .server,
                credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))))
        func serverFlight() throws -> [UInt8] {
            let client = try TLSEngine(context: clientContext, serverName: "localhost")
            let server = try TLSEngine(context: serverContext)
            _ = try client.handshake()
            server.feed(client.takeOutput())
            _ = try server.handshake()
            return server.takeOutput()
        }
        let genuine = try serverFlight()
        try #require(genuine.count > 100)
        let deadline = ContinuousClock.now + Self.budget
        var tried = 0
        var failed = 0
        var incomplete = 0
        while tried < 5_000, ContinuousClock.now < deadline {
            tried += 1
            var input = genuine
            switch Int.random(in: 0...3, using: &rng) {
            case 0:  // flip a few bytes
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    input[Int.random(in: 0..<input.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 1:  // truncate
                input = Array(input.prefix(Int.random(in: 0..<input.count, using: &rng)))
            case 2:  // a record header with a random body
                let length = Int.random(in: 0...18_000, using: &rng)
                input =
                    [0x16, 0x03, 0x03, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
                    + (0..<min(length, 4_096)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default:  // pure noise
                input = (0..<Int.random(in: 1...4_096, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let client = try TLSEngine(context: clientContext, serverName: "localhost")
            _ = try client.handshake()
            _ = client.takeOutput()
            client.feed(input)
            do {
                if try client.handshake() {
                    Issue.record(
                        "a mutated server flight completed a verified handshake (mode input \(input.count) bytes)")
                } else {
                    incomplete += 1  // waiting for bytes that will never come: the caller's deadline ends it
                }
            } catch {
                failed += 1
            }
        }
        print(
            "FUZZ tls: \(tried) hostile flights, \(failed) failed with a TLS error, \(incomplete) wait for more input, 0 crashes"
        )
        #expect(failed > 0)
    }

    @Test func legacyAPIRandomHandlesAndMessages() {
        var rng = Self.random()
        #expect(Inet.initialize())
        defer { Inet.uninitialize() }
        var buffer = [UInt8](repeating: 0, count: 16)
        for _ in 0..<2_000 {
            // Handles never issued: every call refuses with invalidHandle, nothing crashes.
            let handle = InetHandle(rawValue: UInt.random(in: 0x7000_0000...UInt(UInt32.max), using: &rng))
            let n = buffer.withUnsafeMutableBytes { Inet.read(handle, $0) }
            #expect(n == -1)
            #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
            #expect(Inet.disconnect(handle) == -1)
            #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        }
        for _ in 0..<2_000 {
            // Message numbers at or below WM_USER (0x0400) are refused with invalidParameter.
            let message = UInt32.random(in: 0...0x0400, using: &rng)
            #expect { try LegacyEventAdapter(eventMessage: message, sink: .queue(MessageQueue())).validate() } throws: {
                ($0 as? InetError)?.code == .invalidParameter
            }
        }
    }
}
