import CInetLinux
import DequeModule
import Glibc

/// One datagram and where it came from (or goes to).
public struct Datagram: Sendable, Equatable {
    /// The payload.
    public var bytes: [UInt8]
    /// The sender of a received datagram.
    public var peer: SocketAddress

    /// A datagram.
    public init(bytes: [UInt8], peer: SocketAddress) {
        self.bytes = bytes
        self.peer = peer
    }
}

/// The loop-side state of an unconnected UDP socket (a UDP ``Listener``).
/// Invariant: every method runs on `loop`'s thread.
final class DatagramCore {
    struct PendingSend {
        let datagram: Datagram
        let completion: Completion<Void>
    }

    let loop: EventLoop
    private var descriptor: SocketDescriptor?
    private var token: RegistrationToken?
    private var readable = true
    private var writable = true
    private var receives = WaitQueue<Void, Datagram>()
    private var sends: Deque<PendingSend> = []

    init(loop: EventLoop, descriptor: consuming SocketDescriptor) {
        self.loop = loop
        self.descriptor = .some(descriptor)
    }

    func register() {
        guard let fd = descriptor?.raw else { return }
        do {
            token = try loop.register(fd: fd, .datagram(self))
        } catch {
            close(error)
        }
    }

    func handle(_ readiness: Readiness) {
        if readiness.readable {
            readable = true
            serviceReceives()
        }
        if readiness.writable {
            writable = true
            serviceSends()
        }
    }

    func receive(id: UInt64, deadline: Deadline?, _ completion: Completion<Datagram>) {
        guard descriptor != nil else { return completion.fail(InetError(.connectionClosed, "socket closed")) }
        let timer = deadline.map {
            loop.scheduleInLoop(at: $0) { [weak self] in
                self?.cancel(id, InetError(.timedOut, "no datagram arrived before the timeout"))
            }
        }
        receives.append(id: id, (), completion, timer: timer)
        serviceReceives()
    }

    func cancel(_ id: UInt64, _ error: InetError) { receives.fail(id: id, error) }

    func send(_ datagram: Datagram, _ completion: Completion<Void>) {
        guard descriptor != nil else { return completion.fail(InetError(.connectionClosed, "socket closed")) }
        guard datagram.bytes.count <= ConnectionCore.maxDatagram else {
            return completion.fail(
                InetError(
                    .messageTooLong,
                    "a UDP datagram holds at most \(ConnectionCore.maxDatagram) bytes; got \(datagram.bytes.count)"))
        }
        sends.append(PendingSend(datagram: datagram, completion: completion))
        serviceSends()
    }

    private func serviceReceives() {
        while !receives.isEmpty, readable, let fd = descriptor?.raw {
            do throws(InetError) {
                let (result, peer) = try Syscall.receiveFrom(fd, into: loop.scratch, "recvfrom")
                guard case .processed(let n) = result else {
                    readable = false
                    return
                }
                receives.completeFirst(
                    .success(
                        Datagram(
                            bytes: Array(UnsafeRawBufferPointer(rebasing: loop.scratch[0..<n])),
                            peer: peer ?? .any(.ipv4, port: 0))))
            } catch {
                receives.completeFirst(.failure(error))
            }
        }
    }

    private func serviceSends() {
        while let send = sends.first, writable, let fd = descriptor?.raw {
            do throws(InetError) {
                let result = try send.datagram.bytes.withRawBytes { raw throws(InetError) in
                    try Syscall.sendTo(fd, raw, send.datagram.peer, "sendto \(send.datagram.peer)")
                }
                guard case .processed = result else {
                    writable = false
                    return
                }
                sends.removeFirst()
                send.completion.succeed(())
            } catch {
                sends.removeFirst()
                send.completion.fail(error)
            }
        }
    }

    func close(_ error: InetError?) {
        if let token { loop.deregister(token) }
        token = nil
        descriptor = nil
        let failure = error ?? InetError(.connectionClosed, "socket closed")
        receives.failAll(failure)
        let waiting = sends
        sends = []
        for send in waiting { send.completion.fail(failure) }
    }
}
