import Glibc
import InetCore
import Synchronization

/// Copies between standard input/output and a connection with Inet's blocking API.
enum Pump {
    /// stdin → connection on a worker thread; after stdin ends, half-close (TCP).
    /// connection → stdout on the calling thread until the peer closes (TCP), or, for UDP, until
    /// stdin has ended and no datagram came for `idle`. TCP ends when both directions are done: a
    /// peer that half-closes first still receives all of stdin.
    static func run(_ connection: Connection, udpIdle idle: Duration) throws(InetError) {
        let stdinDone = StdinState()
        try WorkerThread.start {
            while let chunk = Output.readChunk(0) {
                do throws(InetError) { try connection.blocking.write(chunk, timeout: nil) } catch {
                    Output.error(error)
                    exit(1)
                }
            }
            defer { stdinDone.finish() }
            if connection.protocol == .tcp {
                do throws(InetError) { try connection.blocking.shutdown(.output) } catch
                    where error.code == .connectionClosed
                {
                    // The peer went first; the reader reports what happened.
                } catch {
                    Output.error(error)
                    exit(1)
                }
            }
        }
        while true {
            let chunk: [UInt8]
            if connection.protocol == .udp {
                do { chunk = try connection.blocking.read(timeout: idle) } catch  where error.code == .timedOut {
                    if stdinDone.isFinished { return }
                    continue
                }
            } else {
                chunk = try connection.blocking.read()
                if chunk.isEmpty {
                    stdinDone.waitUntilFinished()  // the peer is done sending; we may not be
                    return
                }
            }
            if !Output.writeAll(1, chunk) { return }
        }
    }

    /// Echoes everything back until the peer closes, then closes.
    static func echo(_ connection: Connection) throws(InetError) {
        while true {
            let chunk = try connection.blocking.read()
            if chunk.isEmpty { break }
            try connection.blocking.write(chunk)
        }
        try connection.blocking.close()
    }
}

/// Whether stdin has ended (and its bytes and FIN were handed over), shared between the stdin
/// thread and the reader.
final class StdinState: Sendable {
    private let done = Atomic<Bool>(false)
    private let changed = ConditionLock()
    func finish() {
        changed.lock()
        done.store(true, ordering: .releasing)
        changed.broadcast()
        changed.unlock()
    }
    var isFinished: Bool { done.load(ordering: .acquiring) }
    /// Blocks until ``finish()``.
    func waitUntilFinished() {
        changed.lock()
        while !isFinished { _ = changed.wait() }
        changed.unlock()
    }
}
