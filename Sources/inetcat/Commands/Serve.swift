import Glibc
import InetCore

/// `inetcat --listen`: accept TCP connections (or UDP datagrams) and pipe or echo them.
struct Serve {
    let command: NetCommand
    let port: Int

    func run() throws(InetError) {
        let listener = try Listener(
            address: command.bind, port: port, protocol: command.proto, options: command.options.subtracting([.secure]),
            tls: command.tls.serverConfiguration)
        if command.verbose { Output.line("listening: \(listener.localAddress)") }
        switch command.proto {
        case .tcp: try serveStreams(listener)
        case .udp: try serveDatagrams(listener)
        }
    }

    private func serveStreams(_ listener: Listener) throws(InetError) {
        if command.echo && command.keepOpen {
            // Event-driven: no thread per client. Serves until the process is killed.
            try listener.acceptConnections(delegate: EchoAcceptor(verbose: command.verbose))
            while true { Glibc.pause() }
        }
        repeat {
            let connection = try listener.blocking.accept()
            if command.verbose {
                Output.line("accepted: local=\(connection.localAddress) remote=\(connection.remoteAddress)")
                if let info = connection.tls { Output.line(TLSOptions.describe(info)) }
            }
            if command.echo {
                try Pump.echo(connection)
            } else {
                try Pump.run(connection, udpIdle: .seconds(1))
                try connection.blocking.close()
            }
        } while command.keepOpen
    }

    /// UDP: echo each datagram back, or print it and answer the latest sender with stdin.
    private func serveDatagrams(_ listener: Listener) throws(InetError) {
        var announced = Set<SocketAddress>()
        if !command.echo {
            let latest = LatestPeer()
            try WorkerThread.start {
                while let chunk = Output.readChunk(0) {
                    guard let peer = latest.value else { continue }
                    do throws(InetError) { try listener.blocking.send(chunk, to: peer) } catch { Output.error(error) }
                }
            }
            while true {
                let datagram = try listener.blocking.receive()
                latest.value = datagram.peer
                if command.verbose, announced.insert(datagram.peer).inserted {
                    Output.line("accepted: local=\(listener.localAddress) remote=\(datagram.peer)")
                }
                Output.writeAll(1, datagram.bytes)
            }
        }
        while true {
            let datagram = try listener.blocking.receive()
            if command.verbose, announced.insert(datagram.peer).inserted {
                Output.line("accepted: local=\(listener.localAddress) remote=\(datagram.peer)")
            }
            try listener.blocking.send(datagram.bytes, to: datagram.peer)
        }
    }
}

/// The most recent UDP sender, shared with the stdin thread.
final class LatestPeer: Sendable {
    private let peer = Locked<SocketAddress?>(nil)
    var value: SocketAddress? {
        get { peer.withLock { $0 } }
        set { peer.withLock { $0 = newValue } }
    }
}
