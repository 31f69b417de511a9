// nio-bench: the suite's workloads through SwiftNIO in its fastest idiomatic style — one event
// loop, plain channel handlers, work chained on the loop, one shared NIOSSLContext.
// `--api async`: NIO's async style instead (AsyncClients.swift).
import BenchSupport
import Dispatch
import Glibc
import NIOCore
import NIOPosix
import NIOSSL

let command = BenchCommand.parse("nio-bench")
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
let done = loop.makePromise(of: Measurement.self)

if command.api == "async" {
    // A detached task (top-level code is main-actor code, and the main thread waits here).
    let finished = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            try await AsyncNIO.run(command, group: group)
        } catch {
            printError("nio-bench: \(error)")
            exit(1)
        }
        finished.signal()
    }
    finished.wait()
    exit(0)
} else if let api = command.api {
    printError("nio-bench: --api must be async (or absent); got \(api)")
    exit(2)
}

func bootstrap(_ handler: @escaping @Sendable () -> any ChannelHandler) -> ClientBootstrap {
    ClientBootstrap(group: group)
        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) } }
}

do {
    switch command.workload {
    case .pingpong(let roundtrips):
        let channel = try bootstrap { PingPongHandler(roundtrips: roundtrips, done: done) }
            .connect(host: command.host, port: command.port).wait()
        let m = try done.futureResult.wait()
        m.finish(workload: "pingpong", impl: "nio", count: roundtrips, metric: "rt_per_s")
        try channel.close().wait()
    case .concurrent(let roundtrips, let count):
        let run = ConcurrentState(count: count, done: done)
        var channels: [any Channel] = []
        for i in 0..<count {
            let share = roundtrips / count + (i < roundtrips % count ? 1 : 0)
            channels.append(try bootstrap { PingPongHandler(roundtrips: share, shared: run) }
                .connect(host: command.host, port: command.port).wait())
        }
        let all = channels
        try loop.submit {
            run.measurement = Measurement()
            for channel in all { channel.pipeline.fireUserInboundEventTriggered(StartEvent()) }
        }.wait()
        let m = try done.futureResult.wait()
        m.finish(workload: "concurrent", impl: "nio", count: roundtrips, metric: "rt_per_s")
    case .stream(let total, let chunk):
        _ = try bootstrap { StreamHandler(total: total, chunk: chunk, done: done) }
            .connect(host: command.host, port: command.port).wait()
        let m = try done.futureResult.wait()
        m.finish(workload: "stream", impl: "nio", count: total, metric: "gb_per_s", scale: 1e-9)
    case .connrate(let connections):
        let chain = Chain(count: connections, done: done, bootstrap: bootstrap { OneByteHandler(tls: false) }, host: command.host, port: command.port)
        try loop.submit { chain.next() }.wait()
        let m = try done.futureResult.wait()
        m.finish(workload: "connrate", impl: "nio", count: connections, metric: "conn_per_s")
    case .tls(let handshakes, let caPath):
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caPath)
        configuration.certificateVerification = .fullVerification
        let context = try NIOSSLContext(configuration: configuration)
        let tlsBootstrap = ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(OneByteHandler(tls: true))
                }
            }
        let chain = Chain(count: handshakes, done: done, bootstrap: tlsBootstrap, host: command.host, port: command.port)
        try loop.submit { chain.next() }.wait()
        let m = try done.futureResult.wait()
        m.finish(workload: "tls", impl: "nio", count: handshakes, metric: "hs_per_s")
    case .serveEcho:
        let server = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: command.port).wait()
        print("PORT \(server.localAddress?.port ?? 0)")
        fflush(nil)
        try server.closeFuture.wait()
    }
} catch {
    printError("nio-bench: \(error)")
    exit(1)
}
