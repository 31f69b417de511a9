import Foundation
import InetTestSupport
import Testing
@testable import InetCore
import InetEvents

/// Unix domain sockets through delegates (issue 14's third style): a delegate client of a socat
/// server, a missing path as the connect event's error, and a delegate listener serving socat.
@Suite(.timeLimit(.minutes(2))) struct UnixDomainDelegateTests {
    static func directory() throws -> String {
        var template = Array("/tmp/inet-uds-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PeerError("mkdtemp failed") }
        return String(cString: made)
    }

    @Test func aDelegateClientGetsConnectWriteReadAndDisconnect() throws {
        let dir = try Self.directory()
        defer { _ = try? Peer.run(["rm", "-rf", dir]) }
        let path = dir + "/server.sock"
        // socat answers one line and closes.
        let server = try Peer(["socat", "-d", "-d", "UNIX-LISTEN:\(path)", "SYSTEM:'read line; echo got-$line'"])
        _ = try server.waitForStderr(containing: "listening on")
        let log = EventLog()
        let connection = try Connector(unixDomainSocketPath: path).connect(delegate: log)
        _ = log.wait { $0.contains(.write) }
        #expect(try connection.write(Array("hello\n".utf8)) == .wrote(6))
        let entries = log.wait { $0.contains(.disconnect(nil)) }
        #expect(Array(entries.prefix(2)) == [.connect(nil), .write])
        #expect(entries.contains(.read))
        var buffer = [UInt8](repeating: 0, count: 64)
        let result = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
        guard case .bytes(let n) = result else {
            Issue.record("expected bytes, got \(result)")
            return
        }
        #expect(String(decoding: buffer[..<n], as: UTF8.self) == "got-hello\n")
        try connection.close()
        #expect(try server.finish() == 0)
    }

    @Test func aMissingPathIsTheConnectEventsError() throws {
        let log = EventLog()
        _ = try Connector(unixDomainSocketPath: "/tmp/inet-no-such-dir/x.sock").connect(delegate: log)
        #expect(log.wait { !$0.isEmpty } == [.connect(.addressNotAvailable)])
    }

    final class LineEcho: ConnectionDelegate, @unchecked Sendable {  // safe: used on its loop only
        func connectionCanRead(_ connection: EventConnection) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let result = try? buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
            switch result {
            case .bytes(let n): _ = try? connection.write(Array(buffer[..<n]).map { $0 == 0x61 ? 0x41 : $0 })
            case .endOfStream: try? connection.close()
            case .wouldBlock, nil: break
            }
        }
        func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) { connectionCanRead(connection) }
    }

    final class Acceptor: ListenerDelegate, @unchecked Sendable {  // safe: stateless
        func listener(_ listener: Listener, didAccept connection: EventConnection) -> (any ConnectionDelegate)? {
            LineEcho()
        }
    }

    @Test func aDelegateListenerServesSocatClients() throws {
        let dir = try Self.directory()
        defer { _ = try? Peer.run(["rm", "-rf", dir]) }
        let path = dir + "/listener.sock"
        let listener = try Listener(unixDomainSocketPath: path)
        let acceptor = Acceptor()
        try listener.acceptConnections(delegate: acceptor)
        for round in 1...3 {
            let client = try Peer(["socat", "-", "UNIX-CONNECT:\(path)"], stdin: true)
            client.send(Array("banana \(round)\n".utf8))
            _ = try client.waitForStdout(containing: "bAnAnA \(round)")
            client.closeInput()
            #expect(try client.finish() == 0)
        }
        try listener.blocking.close()
    }
}
