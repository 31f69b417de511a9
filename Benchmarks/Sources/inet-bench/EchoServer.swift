import BenchSupport
import Glibc
import InetCore
import InetEvents

/// `serve echo PORT`: an Inet listener whose accepted connections echo through delegates on
/// the loop thread (`--api async`: through async/await tasks instead).
enum EchoServer {
    static func run(_ command: BenchCommand, group: EventLoopGroup) throws(InetError) -> Never {
        let listener = try Listener(address: "127.0.0.1", port: command.port, backlog: 1024,
                                    options: [.noInherit, .noDelay], group: group)
        print("PORT \(listener.localAddress.port)")
        fflush(nil)
        if command.api == "async" {
            // One task per connection on the connection's own loop (`Listener.serve`), or, with
            // INET_BENCH_GLOBAL_EXECUTOR set, plain tasks on the global pool (the before figure).
            // The idiomatic loop: `inbound` reads into one buffer of its own and hands it out,
            // so on the connection's loop it allocates nothing per chunk.
            let handler: @Sendable (Connection) async -> Void = { connection in
                do throws(InetError) {
                    for try await chunk in connection.inbound { try await connection.write(chunk) }
                } catch {}
                try? await connection.close()
            }
            if getenv("INET_BENCH_GLOBAL_EXECUTOR") != nil {
                Task { for try await connection in listener.connections { Task { await handler(connection) } } }
            } else {
                Task { try await listener.serve(handler) }
            }
        } else {
            try listener.acceptConnections(delegate: Acceptor.shared)
        }
        while true { pause() }
    }
}

/// Gives each accepted connection an echo delegate.
final class Acceptor: ListenerDelegate {
    static let shared = Acceptor()
    func listener(_ listener: Listener, didAccept connection: EventConnection) -> (any ConnectionDelegate)? { Echo() }
}

/// Writes back what it reads; stops reading while the socket is full (resumes on the write event).
final class Echo: ConnectionDelegate {
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private var pending = 0  // bytes read but not yet written back, at the buffer's start
    private var pendingStart = 0

    deinit { buffer.deallocate() }

    func connectionCanRead(_ connection: EventConnection) {
        guard pending == 0 else { return }  // the write event resumes reading
        do throws(InetError) {
            switch try connection.read(into: buffer) {
            case .bytes(let n):
                pending = n
                pendingStart = 0
                flush(connection)
            case .endOfStream: try connection.close()
            case .wouldBlock: break
            }
        } catch {
            try? connection.close()
        }
    }

    func connectionCanWrite(_ connection: EventConnection) {
        flush(connection)
        if pending == 0 { connectionCanRead(connection) }
    }

    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
        if pending == 0 { try? connection.close() }
    }

    private func flush(_ connection: EventConnection) {
        guard pending > 0 else { return }
        do throws(InetError) {
            let slice = UnsafeRawBufferPointer(start: buffer.baseAddress! + pendingStart, count: pending)
            if case .wrote(let n) = try connection.write(slice) {
                pending -= n
                pendingStart += n
            }
        } catch {
            try? connection.close()
        }
    }
}
