import InetTLS
import InetTestSupport

/// The TLS engine's ciphertext input (OpenSSL behind it): hostile server flights, hostile
/// ClientHellos, and records after a genuine handshake. An input other than the genuine bytes
/// must never complete a verified handshake or yield plaintext; anything else (a TLS error, a
/// wait for more input) is fine. Contexts are made once per process from the test certificates.
enum TLSFuzz {
    struct Contexts: @unchecked Sendable {  // Safe: TLSContext is immutable once made.
        let client: TLSContext
        let server: TLSContext
    }

    static let contexts: Contexts = {
        do {
            let client = try TLSContext(
                TLSConfiguration(
                    role: .client, credentials: SecurityCredentials(trustRootsFile: TestCertificates.path("ca.pem"))))
            let server = try TLSContext(
                TLSConfiguration(
                    role: .server,
                    credentials: SecurityCredentials(certificateStore: TestCertificates.path("server-bundle.pem"))))
            return Contexts(client: client, server: server)
        } catch {
            fatalError("fuzz: cannot make the TLS contexts: \(error)")
        }
    }()

    /// `genuine` changed as the input says: bytes flipped, cut short, or spliced with input bytes.
    static func mutate(_ genuine: [UInt8], _ input: inout FuzzInput) -> [UInt8] {
        var bytes = genuine
        switch input.int(in: 0...2) {
        case 0:
            for _ in 0..<input.int(in: 1...16) where !bytes.isEmpty {
                bytes[input.int(in: 0...bytes.count - 1)] ^= input.byte()
            }
        case 1:
            bytes = Array(bytes.prefix(input.int(in: 0...bytes.count)))
        default:
            let at = input.int(in: 0...bytes.count)
            bytes =
                Array(bytes.prefix(at)) + input.bytes(upTo: 512) + Array(bytes.dropFirst(at + input.int(in: 0...64)))
        }
        return bytes
    }

    /// Whether `flight` is `genuine` (perhaps with more bytes after it) but for bytes TLS 1.3
    /// ignores: the legacy_record_version of the records sent in the clear (ServerHello,
    /// ChangeCipherSpec), which RFC 8446 §5.1 says "MUST be ignored for all purposes". (Found by
    /// this fuzzer: a changed version byte completed the handshake, rightly.) The encrypted
    /// records' headers are the AEAD's additional data, so a change there must fail.
    static func onlyIgnoredBytesDiffer(_ flight: [UInt8], _ genuine: [UInt8]) -> Bool {
        guard flight.count >= genuine.count else { return false }
        var ignored = Set<Int>()
        var i = 0
        while i + 5 <= genuine.count {
            if genuine[i] == 22 || genuine[i] == 20 { ignored.formUnion([i + 1, i + 2]) }
            i += 5 + (Int(genuine[i + 3]) << 8 | Int(genuine[i + 4]))
        }
        return genuine.indices.allSatisfy { flight[$0] == genuine[$0] || ignored.contains($0) }
    }

    /// The record layout of `bytes`: (offset, type, length) of each record header.
    static func records(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        var i = 0
        while i + 5 <= bytes.count {
            let length = Int(bytes[i + 3]) << 8 | Int(bytes[i + 4])
            out.append("@\(i) type \(bytes[i]) len \(length)")
            i += 5 + length
        }
        return out
    }

    static func handshakeCompletes(_ engine: TLSEngine, after bytes: [UInt8]) -> Bool {
        engine.feed(bytes)
        do { return try engine.handshake() } catch { return false }
    }

    static func client(_ input: inout FuzzInput) throws(FuzzFailure) {
        let raw = input.bool()
        guard let client = try? TLSEngine(context: contexts.client, serverName: "localhost"),
            (try? client.handshake()) != nil
        else { throw FuzzFailure("cannot start a client handshake") }
        let hello = client.takeOutput()
        var genuine: [UInt8] = []
        if !raw {
            guard let server = try? TLSEngine(context: contexts.server) else { throw FuzzFailure("no server engine") }
            server.feed(hello)
            _ = try? server.handshake()
            genuine = server.takeOutput()
        }
        let flight = raw ? input.rest() : mutate(genuine, &input)
        let completed = handshakeCompletes(client, after: flight)
        let firstChange = zip(flight, genuine).enumerated().first { $0.element.0 != $0.element.1 }
        try check(
            !completed || (!raw && onlyIgnoredBytesDiffer(flight, genuine)),
            "a changed server flight (\(flight.count) of \(genuine.count) bytes, first change at \(firstChange.map { "\($0.offset): \($0.element.1) → \($0.element.0)" } ?? "the end")) completed a verified handshake; records \(records(genuine))"
        )
    }

    static func server(_ input: inout FuzzInput) throws(FuzzFailure) {
        let raw = input.bool()
        var hello: [UInt8] = []
        if !raw {
            guard let client = try? TLSEngine(context: contexts.client, serverName: "localhost") else {
                throw FuzzFailure("no client engine")
            }
            _ = try? client.handshake()
            hello = client.takeOutput()
        }
        guard let server = try? TLSEngine(context: contexts.server) else { throw FuzzFailure("no server engine") }
        let bytes = raw ? input.rest() : mutate(hello, &input)
        // A server handshake ends with the client's Finished, which no single flight holds.
        try check(!handshakeCompletes(server, after: bytes), "a ClientHello alone completed a server handshake")
    }

    static func records(_ input: inout FuzzInput) throws(FuzzFailure) {
        guard let client = try? TLSEngine(context: contexts.client, serverName: "localhost"),
            let server = try? TLSEngine(context: contexts.server)
        else { throw FuzzFailure("no engines") }
        var done = (client: false, server: false)
        for _ in 0..<6 where !(done.client && done.server) {
            done.client = (try? client.handshake()) ?? false
            server.feed(client.takeOutput())
            done.server = (try? server.handshake()) ?? false
            client.feed(server.takeOutput())
        }
        guard done.client, done.server else { throw FuzzFailure("the genuine handshake did not complete") }
        let message = Array("the one genuine message".utf8)
        guard (try? server.write(message)) != nil else { throw FuzzFailure("the server cannot write") }
        let genuine = server.takeOutput()
        let record = input.bool() ? input.rest() : mutate(genuine, &input)
        client.feed(record)
        var plaintext = [UInt8](repeating: 0, count: 64 * 1024)
        var got: [UInt8] = []
        for _ in 0..<64 {
            let result = try? plaintext.withUnsafeMutableBytes { try client.read(into: $0) }
            guard case .bytes(let n)? = result, n > 0 else { break }
            got += plaintext[0..<n]
        }
        if record.starts(with: genuine) {
            try check(got.starts(with: message), "the genuine record read as \(got.count) other bytes")
        } else {
            try check(got.isEmpty, "a changed record (\(record.count) bytes) yielded \(got.count) bytes of plaintext")
        }
    }
}
