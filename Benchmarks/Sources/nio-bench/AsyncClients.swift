// `nio-bench --api async`: the workloads in SwiftNIO's async style — NIOAsyncChannel<ByteBuffer,
// ByteBuffer>, executeThenClose, one task per connection — the peer of `inet-bench --api async`.
import BenchSupport
import NIOCore
import NIOPosix
import NIOSSL

enum AsyncNIO {
    typealias Stream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    static func connect(_ command: BenchCommand, group: any EventLoopGroup, tls: NIOSSLContext? = nil) async throws -> Stream {
        try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: command.host, port: command.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    return try Stream(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func run(_ command: BenchCommand, group: any EventLoopGroup) async throws {
        switch command.workload {
        case .pingpong(let roundtrips):
            let channel = try await connect(command, group: group)
            let m = Measurement()
            try await pingpong(channel, roundtrips)
            m.finish(workload: "pingpong", impl: "nio-async", count: roundtrips, metric: "rt_per_s")
        case .concurrent(let roundtrips, let count):
            var channels: [Stream] = []
            for _ in 0..<count { channels.append(try await connect(command, group: group)) }
            let m = Measurement()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for (i, channel) in channels.enumerated() {
                    let share = roundtrips / count + (i < roundtrips % count ? 1 : 0)
                    tasks.addTask { try await pingpong(channel, share) }
                }
                try await tasks.waitForAll()
            }
            m.finish(workload: "concurrent", impl: "nio-async", count: roundtrips, metric: "rt_per_s")
        case .stream(let total, let chunk):
            let channel = try await connect(command, group: group)
            let m = Measurement()
            try await channel.executeThenClose { inbound, outbound in
                let data = ByteBuffer(repeating: 0x73, count: chunk)
                var sent = 0
                while sent < total {
                    let n = min(chunk, total - sent)
                    try await outbound.write(n == chunk ? data : data.getSlice(at: 0, length: n)!)
                    sent += n
                }
                var iterator = inbound.makeAsyncIterator()
                guard try await iterator.next() != nil else { throw Closed() }
            }
            m.finish(workload: "stream", impl: "nio-async", count: total, metric: "gb_per_s", scale: 1e-9)
        case .connrate(let connections):
            let m = Measurement()
            for _ in 0..<connections { try await oneByte(try await connect(command, group: group), send: false) }
            m.finish(workload: "connrate", impl: "nio-async", count: connections, metric: "conn_per_s")
        case .tls(let handshakes, let caPath):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(caPath)
            configuration.certificateVerification = .fullVerification
            let context = try NIOSSLContext(configuration: configuration)
            let m = Measurement()
            for _ in 0..<handshakes { try await oneByte(try await connect(command, group: group, tls: context), send: true) }
            m.finish(workload: "tls", impl: "nio-async", count: handshakes, metric: "hs_per_s")
        case .serveEcho:
            try await serveEcho(command, group: group)
        }
    }

    static func pingpong(_ channel: Stream, _ roundtrips: Int) async throws {
        try await channel.executeThenClose { inbound, outbound in
            let message = ByteBuffer(repeating: 0x70, count: 64)
            var iterator = inbound.makeAsyncIterator()
            for _ in 0..<roundtrips {
                try await outbound.write(message)
                var got = 0
                while got < 64 {
                    guard let chunk = try await iterator.next() else { throw Closed() }
                    got += chunk.readableBytes
                }
            }
        }
    }

    /// The connrate and tls step: (send a byte,) read one, close.
    static func oneByte(_ channel: Stream, send: Bool) async throws {
        try await channel.executeThenClose { inbound, outbound in
            if send { try await outbound.write(ByteBuffer(bytes: [0x74])) }
            var iterator = inbound.makeAsyncIterator()
            guard try await iterator.next() != nil else { throw Closed() }
        }
    }

    /// An echo server: one task per accepted connection, each echoing through its
    /// NIOAsyncChannel until the peer closes.
    static func serveEcho(_ command: BenchCommand, group: any EventLoopGroup) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: command.port) { channel in
                channel.eventLoop.makeCompletedFuture { try Stream(wrappingChannelSynchronously: channel) }
            }
        print("PORT \(server.channel.localAddress?.port ?? 0)")
        fflush(nil)
        try await withThrowingDiscardingTaskGroup { tasks in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    tasks.addTask {
                        try? await connection.executeThenClose { inbound, outbound in
                            for try await bytes in inbound { try await outbound.write(bytes) }
                        }
                    }
                }
            }
        }
    }
}
