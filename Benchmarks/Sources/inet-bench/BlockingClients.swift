import BenchSupport
import Glibc
import InetCore

/// The sequential client workloads through the blocking API (`--api blocking`), from the main
/// thread (not a loop thread).
enum BlockingClients {
    static func run(_ command: BenchCommand, group: EventLoopGroup) throws(InetError) {
        switch command.workload {
        case .pingpong(let roundtrips):
            let connection = try command.connector(group: group).blocking.connect()
            let message = [UInt8](repeating: 0x70, count: 64)
            let m = Measurement()
            for _ in 0..<roundtrips {
                try connection.blocking.write(message)
                var got = 0
                while got < 64 {
                    let bytes = try connection.blocking.read(maxBytes: 64 - got)
                    if bytes.isEmpty { throw InetError(.connectionClosed, "the server closed") }
                    got += bytes.count
                }
            }
            m.finish(workload: "pingpong", impl: "inet-blocking", count: roundtrips, metric: "rt_per_s")
            try connection.blocking.close()
        case .stream(let total, let chunk):
            let connection = try command.connector(group: group).blocking.connect()
            let data = [UInt8](repeating: 0x73, count: chunk)
            let m = Measurement()
            var sent = 0
            while sent < total {
                let n = min(chunk, total - sent)
                try connection.blocking.write(n == chunk ? data : Array(data[..<n]))
                sent += n
            }
            guard try connection.blocking.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "sink closed") }
            m.finish(workload: "stream", impl: "inet-blocking", count: total, metric: "gb_per_s", scale: 1e-9)
        case .connrate(let connections):
            let connector = command.connector(group: group)
            let m = Measurement()
            for _ in 0..<connections {
                let connection = try connector.blocking.connect()
                guard try connection.blocking.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "no byte") }
                try connection.blocking.close()
            }
            m.finish(workload: "connrate", impl: "inet-blocking", count: connections, metric: "conn_per_s")
        case .tls(let handshakes, let caPath):
            let connector = command.connector(group: group, caPath: caPath)
            let m = Measurement()
            for _ in 0..<handshakes {
                let connection = try connector.blocking.connect()
                try connection.blocking.write([0x74])
                guard try connection.blocking.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "no byte") }
                try connection.blocking.close()
            }
            m.finish(workload: command.resume ? "tls-resumed" : "tls", impl: "inet-blocking", count: handshakes, metric: "hs_per_s")
        case .concurrent:
            printError("inet-bench: concurrent needs one thread per connection with --api blocking; use delegate or async\n")
            exit(2)
        case .serveEcho: break
        }
    }
}
