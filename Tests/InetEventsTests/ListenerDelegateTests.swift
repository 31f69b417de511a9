import InetTestSupport
import Testing
@testable import InetCore
import InetEvents

/// The server side of the event API: a listener handing accepted connections to delegates, with
/// socat as the client.
@Suite struct ListenerDelegateTests {
    /// Echoes what it reads; closes when the client does.
    final class Echo: ConnectionDelegate, @unchecked Sendable {  // safe: used on its loop only
        func connectionCanRead(_ connection: EventConnection) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let result = try? buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
            switch result {
            case .bytes(let n): _ = try? connection.write(Array(buffer[..<n]))
            case .endOfStream: try? connection.close()
            case .wouldBlock, nil: break
            }
        }
        func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
            connectionCanRead(connection)  // read what is left, then end of stream closes
        }
    }

    /// Hands out a fresh delegate per connection (or none), and counts.
    final class Acceptor: ListenerDelegate, @unchecked Sendable {  // safe: `log` is locked
        let log = EventLog()
        let refuse: Bool
        init(refuse: Bool = false) { self.refuse = refuse }
        func listener(_ listener: Listener, didAccept connection: EventConnection) -> (any ConnectionDelegate)? {
            log.record(.note("accepted on loop \(connection.eventLoop.inEventLoop)"))
            return refuse ? nil : Echo()
        }
    }

    @Test func acceptedConnectionsEchoThroughDelegates() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let acceptor = Acceptor()
        try listener.acceptConnections(delegate: acceptor)
        for round in 1...3 {
            let client = try Peer(
                ["socat", "-b", "4096", "-", "TCP:127.0.0.1:\(listener.localAddress.port)"], stdin: true)
            client.send(Array("hello inet \(round)\n".utf8))
            _ = try client.waitForStdout(containing: "hello inet \(round)")
            client.closeInput()
            #expect(try client.finish() == 0)  // the echo closed after the client's FIN
        }
        let entries = acceptor.log.wait { $0.count >= 3 }
        #expect(entries == Array(repeating: .note("accepted on loop true"), count: 3))
    }

    @Test func refusingAConnectionClosesIt() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let acceptor = Acceptor(refuse: true)
        try listener.acceptConnections(delegate: acceptor)
        let client = try Peer(["socat", "-u", "TCP:127.0.0.1:\(listener.localAddress.port)", "-"])
        #expect(try client.finish() == 0)  // socat ends on the server's close
        #expect(acceptor.log.wait { !$0.isEmpty }.count == 1)
    }

    @Test func aUDPListenerRefusesDelegates() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0, protocol: .udp)
        #expect { try listener.acceptConnections(delegate: Acceptor()) } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
    }
}
