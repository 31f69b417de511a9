import InetCore
import InetEvents

/// `--listen --echo --keep-open`: every connection echoes through a delegate on its loop thread,
/// so thousands of clients cost no threads.
final class EchoAcceptor: ListenerDelegate {
    let verbose: Bool
    init(verbose: Bool) { self.verbose = verbose }

    func listener(_ listener: Listener, didAccept connection: EventConnection) -> (any ConnectionDelegate)? {
        if verbose, let accepted = connection.connection {
            Output.line("accepted: local=\(accepted.localAddress) remote=\(accepted.remoteAddress)")
            if let info = accepted.tls { Output.line(TLSOptions.describe(info)) }
        }
        return EchoDelegate()
    }

    func listener(_ listener: Listener, didFailToAccept error: InetError) { Output.error(error) }
}

/// Writes back what it reads; stops reading while its bytes wait for room (the write event
/// resumes it); closes after the client's end of stream once everything went back.
final class EchoDelegate: ConnectionDelegate {
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private var start = 0
    private var pending = 0
    private var sawEnd = false
    private var closed = false

    deinit { buffer.deallocate() }

    func connectionCanRead(_ connection: EventConnection) {
        guard pending == 0, !closed else { return }
        switch try? connection.read(into: buffer) {
        case .bytes(let n)?:
            (start, pending) = (0, n)
            flush(connection)
        case .endOfStream?:
            sawEnd = true
            flush(connection)
        case .wouldBlock?: break
        case nil: close(connection)
        }
    }

    func connectionCanWrite(_ connection: EventConnection) {
        flush(connection)
        if pending == 0 { connectionCanRead(connection) }
    }

    func connectionDidDisconnect(_ connection: EventConnection, error: InetError?) {
        if error != nil { close(connection) } else { connectionCanRead(connection) }
    }

    private func flush(_ connection: EventConnection) {
        while pending > 0 {
            let slice = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: pending)
            let result: TryWriteResult
            do { result = try connection.write(slice) } catch { return close(connection) }
            guard case .wrote(let n) = result else { return }  // the write event resumes
            (start, pending) = (start + n, pending - n)
        }
        if sawEnd { close(connection) }
    }

    private func close(_ connection: EventConnection) {
        guard !closed else { return }
        closed = true
        try? connection.close()
    }
}
