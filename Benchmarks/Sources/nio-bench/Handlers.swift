import BenchSupport
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Starts a concurrent connection's exchange once all are connected.
struct StartEvent {}

/// The concurrent workload's shared state (touched only on the one loop).
final class ConcurrentState: @unchecked Sendable {
    // Safe: every access is on the single event loop.
    var waiting: Int
    let done: EventLoopPromise<Measurement>
    var measurement: Measurement?
    init(count: Int, done: EventLoopPromise<Measurement>) {
        waiting = count
        self.done = done
    }
    func ended() {
        waiting -= 1
        if waiting == 0, let measurement { done.succeed(measurement) }
    }
}

/// 64-byte ping-pong: write, wait for all 64 back, repeat.
final class PingPongHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var remaining: Int
    private var got = 0
    private let done: EventLoopPromise<Measurement>?
    private let shared: ConcurrentState?
    private var measurement: Measurement?
    private var message: ByteBuffer?

    init(roundtrips: Int, done: EventLoopPromise<Measurement>? = nil, shared: ConcurrentState? = nil) {
        remaining = roundtrips
        self.done = done
        self.shared = shared
    }

    func channelActive(context: ChannelHandlerContext) {
        message = context.channel.allocator.buffer(repeating: 0x70, count: 64)
        if shared == nil {
            measurement = Measurement()
            send(context)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is StartEvent { remaining > 0 ? send(context) : shared?.ended() }
    }

    private func send(_ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(message!), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        got += unwrapInboundIn(data).readableBytes
        guard got == 64 else { return }
        got = 0
        remaining -= 1
        if remaining > 0 { return send(context) }
        if let shared { return shared.ended() }
        done?.succeed(measurement!)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done?.fail(error)
        shared?.done.fail(error)
        context.close(promise: nil)
    }
}

/// Writes TOTAL bytes in CHUNK-byte writes while the channel is writable; then waits for 1 byte.
final class StreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let total: Int
    private var sent = 0
    private let chunkSize: Int
    private var chunk: ByteBuffer?
    private let done: EventLoopPromise<Measurement>
    private var measurement: Measurement?

    init(total: Int, chunk: Int, done: EventLoopPromise<Measurement>) {
        self.total = total
        self.chunkSize = chunk
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        chunk = context.channel.allocator.buffer(repeating: 0x73, count: chunkSize)
        measurement = Measurement()
        pump(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) { pump(context) }

    private func pump(_ context: ChannelHandlerContext) {
        while sent < total, context.channel.isWritable {
            let n = min(chunkSize, total - sent)
            context.write(wrapOutboundOut(n == chunkSize ? chunk! : chunk!.getSlice(at: 0, length: n)!), promise: nil)
            sent += n
        }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if sent == total { done.succeed(measurement!) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { done.fail(error) }
}

/// connrate and tls: (tls: after the handshake, write one byte;) read one byte, close.
final class OneByteHandler: ChannelInboundHandler, @unchecked Sendable {
    // Safe: a handler is used only on its channel's loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let tls: Bool
    var finished: EventLoopPromise<Void>?
    init(tls: Bool) { self.tls = tls }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if tls, case .some(.handshakeCompleted) = event as? TLSUserEvent {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(repeating: 0x74, count: 1)), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// Sequential connects chained on the loop: connect, wait for the channel to close, next.
final class Chain: @unchecked Sendable {
    // Safe: `remaining` is used only on the one loop.
    private var remaining: Int
    private let done: EventLoopPromise<Measurement>
    private let bootstrap: ClientBootstrap
    private let host: String
    private let port: Int
    private var measurement: Measurement?

    init(count: Int, done: EventLoopPromise<Measurement>, bootstrap: ClientBootstrap, host: String, port: Int) {
        remaining = count
        self.done = done
        self.bootstrap = bootstrap
        self.host = host
        self.port = port
    }

    func next() {
        if measurement == nil { measurement = Measurement() }
        guard remaining > 0 else { return done.succeed(measurement!) }
        remaining -= 1
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case .success(let channel): channel.closeFuture.whenComplete { _ in self.next() }
            case .failure(let error): self.done.fail(error)
            }
        }
    }
}

/// Writes back every byte it reads.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
