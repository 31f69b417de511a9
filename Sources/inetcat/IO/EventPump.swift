import Glibc
import InetCore
import InetEvents

/// `inetcat --events`: the connection driven through the legacy adapter and a message queue,
/// pumped on the main thread like the original's window message loop. Each event is printed to
/// stderr as `event=NAME handle=H msg=0xMMMM lparam=0xLLLLLLLL error=CODE`.
enum EventPump {
    /// A message of inetcat's own: stdin has more bytes (or ended) for the pump to send.
    static let stdinMessage: UInt32 = 0x7FFF

    static func run(_ connector: Connector, eventMessage: UInt32) throws(InetError) {
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: eventMessage, sink: .queue(queue))
        let handle = Inet.asyncConnectEx(
            connector.host, UInt32(connector.port), connector.protocol,
            UInt32(max(1, connector.timeout.components.seconds)),
            connector.options.rawValue, connector.localAddress, UInt32(connector.localPort), connector.credentials,
            adapter)
        guard handle != .invalid else { throw lastError("connect") }
        defer { _ = Inet.disconnect(handle) }

        let input = Locked<(chunks: [[UInt8]], ended: Bool)>(([], false))
        var pending: [UInt8] = []
        var stdinEnded = false
        var halfClosed = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Set once a read returned 0: the pump goes on until the disconnect event is printed
        // (it follows the end of stream), so the trace shows every event.
        var inputEnded = false

        while let message = queue.next(timeout: inputEnded ? .seconds(5) : nil) {
            if message.eventMessage == stdinMessage {
                let (chunks, ended) = input.withLock { state in
                    defer { state.chunks = [] }
                    return (state.chunks, state.ended)
                }
                pending += chunks.joined()
                stdinEnded = ended
            } else {
                Output.line(message.description)
                switch message.event {
                case .connect?:
                    if message.errorCode != 0 {
                        let code = InetErrorCode(legacyCode: message.errorCode) ?? .systemError
                        throw InetError(
                            code, "cannot connect to \(connector.host) port \(connector.port): \(code.summary)")
                    }
                    try startStdinThread(queue, handle, input)
                case .read?, .disconnect?:
                    while !inputEnded {
                        let n = buffer.withUnsafeMutableBytes { Inet.read(handle, $0) }
                        if n > 0 {
                            Output.writeAll(1, Array(buffer[0..<Int(n)]))
                        } else if n == 0 {
                            inputEnded = true  // the peer closed and everything was read
                        } else {
                            if Inet.getLastError() == InetErrorCode.wouldBlock.legacyCode { break }
                            throw lastError("read")
                        }
                    }
                    if message.event == .disconnect { return }
                case .write?, .timeout?, .cancel?, .accept?, nil:
                    break
                }
            }
            // Send what stdin gave, as far as the socket takes it; then half-close once drained.
            while !pending.isEmpty {
                let n = pending.withUnsafeBytes { Inet.write(handle, $0) }
                if n < 0 {
                    if Inet.getLastError() == InetErrorCode.wouldBlock.legacyCode { break }
                    throw lastError("write")
                }
                pending.removeFirst(Int(n))
            }
            if stdinEnded, pending.isEmpty, !halfClosed, connector.protocol == .tcp {
                halfClosed = true
                _ = Inet.shutdown(handle, 1)
            }
        }
    }

    private static func startStdinThread(
        _ queue: MessageQueue, _ handle: InetHandle,
        _ input: Locked<(chunks: [[UInt8]], ended: Bool)>
    ) throws(InetError) {
        try WorkerThread.start {
            while let chunk = Output.readChunk(0) {
                input.withLock { $0.chunks.append(chunk) }
                queue.post(LegacyMessage(handle: handle, eventMessage: stdinMessage, lParam: 0))
            }
            input.withLock { $0.ended = true }
            queue.post(LegacyMessage(handle: handle, eventMessage: stdinMessage, lParam: 0))
        }
    }

    private static func lastError(_ what: String) -> InetError {
        let code = Inet.getLastError()
        return InetError(
            InetErrorCode(legacyCode: code) ?? .systemError, "\(what) failed: \(Inet.errorDescription(code))")
    }
}
