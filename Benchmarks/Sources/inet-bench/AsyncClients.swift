import BenchSupport
import Glibc
import InetCore

/// Every client workload through async/await (`--api async`).
enum AsyncClients {
    static func run(_ command: BenchCommand, group: EventLoopGroup) async throws(InetError) {
        switch command.workload {
        case .pingpong(let roundtrips):
            let connection = try await command.connector(group: group).connect()
            let m = Measurement()
            try await pingpong(connection, roundtrips)
            m.finish(workload: "pingpong", impl: "inet-async", count: roundtrips, metric: "rt_per_s")
            try await connection.close()
        case .concurrent(let roundtrips, let count):
            var connections: [Connection] = []
            for _ in 0..<count { connections.append(try await command.connector(group: group).connect()) }
            let m = Measurement()
            let failures = await withTaskGroup(of: InetError?.self) { tasks in
                for (i, connection) in connections.enumerated() {
                    let share = roundtrips / count + (i < roundtrips % count ? 1 : 0)
                    tasks.addTask {
                        do throws(InetError) { try await pingpong(connection, share) } catch { return error }
                        return nil
                    }
                }
                return await tasks.reduce(into: [InetError]()) { if let e = $1 { $0.append(e) } }
            }
            if let first = failures.first { throw first }
            m.finish(workload: "concurrent", impl: "inet-async", count: roundtrips, metric: "rt_per_s")
        case .stream(let total, let chunk):
            let connection = try await command.connector(group: group).connect()
            let data = [UInt8](repeating: 0x73, count: chunk)
            let m = Measurement()
            var sent = 0
            while sent < total {
                let n = min(chunk, total - sent)
                try await connection.write(n == chunk ? data : Array(data[..<n]))
                sent += n
            }
            guard try await connection.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "sink closed") }
            m.finish(workload: "stream", impl: "inet-async", count: total, metric: "gb_per_s", scale: 1e-9)
        case .connrate(let connections):
            let connector = command.connector(group: group)
            let m = Measurement()
            for _ in 0..<connections {
                let connection = try await connector.connect()
                guard try await connection.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "no byte") }
                try await connection.close()
            }
            m.finish(workload: "connrate", impl: "inet-async", count: connections, metric: "conn_per_s")
        case .tls(let handshakes, let caPath):
            let connector = command.connector(group: group, caPath: caPath)
            let m = Measurement()
            for _ in 0..<handshakes {
                let connection = try await connector.connect()
                try await connection.write([0x74])
                guard try await connection.read(maxBytes: 1).count == 1 else { throw InetError(.connectionClosed, "no byte") }
                try await connection.close()
            }
            m.finish(workload: command.resume ? "tls-resumed" : "tls", impl: "inet-async", count: handshakes, metric: "hs_per_s")
        case .serveEcho: break
        }
    }

    static func pingpong(_ connection: Connection, _ roundtrips: Int) async throws(InetError) {
        // One cancellation handler for the whole exchange, not one per read wait
        // (INET_BENCH_NO_SCOPE=1: one per wait, to measure the difference).
        if noScope { return try await exchange(connection, roundtrips) }
        try await connection.withCancellationScope { () async throws(InetError) in
            try await exchange(connection, roundtrips)
        }
    }

    static let noScope = getenv("INET_BENCH_NO_SCOPE").map { String(cString: $0) } == "1"

    static func exchange(_ connection: Connection, _ roundtrips: Int) async throws(InetError) {
        let message = [UInt8](repeating: 0x70, count: 64)
        // Reused: read(into:) allocates nothing on the loop. Up to 4 KiB, as every client reads
        // (see README): a short read tells the edge-triggered loop the socket is drained, so the
        // next read waits for the event instead of asking the kernel and getting EAGAIN.
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<roundtrips {
            try await connection.write(message)
            var got = 0
            while got < 64 {
                let n = try await connection.read(into: &buffer, maxBytes: 4096)
                if n == 0 { throw InetError(.connectionClosed, "the server closed") }
                got += n
            }
        }
    }
}
