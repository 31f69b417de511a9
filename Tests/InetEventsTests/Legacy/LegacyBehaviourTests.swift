import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore
@testable import InetEvents

/// The behaviour the porting review found wrong (issue 13), and the new family members:
/// line framing, cancel, status, per-event callbacks, flush, the message queue's purge.
@Suite(.serialized) struct LegacyBehaviourTests {
    static let invalidParameter = InetErrorCode.invalidParameter.legacyCode

    /// An event-driven handle connecting to 127.0.0.1:`port`, its messages in a new queue.
    static func eventHandle(_ port: Int, _ proto: InetProtocol = INET_PROTOCOL_TCP) -> (InetHandle, MessageQueue) {
        let queue = MessageQueue()
        let h = Inet.asyncConnect(
            "127.0.0.1", UInt32(port), proto, 5, INET_OPTION_NONE, nil,
            LegacyEventAdapter(eventMessage: WM_USER + 1, sink: .queue(queue)))
        return (h, queue)
    }

    /// A socat peer that sends `bytes` exactly (from a file: no shell quoting) on each connection,
    /// then keeps the connection open for `seconds`.
    static func sender(_ bytes: [UInt8], then seconds: Int = 0) throws -> (Peer, Int, cleanup: () -> Void) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "inet-send-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        ).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (peer, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "SYSTEM:cat \(path); sleep \(seconds)")
        return (
            peer, port,
            {
                peer.stop()
                try? FileManager.default.removeItem(atPath: path)
            }
        )
    }

    @Test func attachThreadFailureIsInetErrorAndTheNewThreadTakesTheHandle() throws {
        #expect(Inet.attachThread(InetHandle(rawValue: 999_999), 0) == UInt32(bitPattern: INET_ERROR))
        #expect(Inet.getLastError() == InetErrorCode.invalidHandle.legacyCode)
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let h = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil)
        let creator = Inet.currentThreadID
        let (previous, echoed) = LegacyAPITests.onOtherThread { () -> (UInt32, String) in
            let previous = Inet.attachThread(h, 0)  // first thing, as the pages say
            _ = Inet.writeLine(h, "mine now")
            var line = ""
            _ = Inet.readLine(h, &line)
            return (previous, line)
        }
        #expect(previous == creator)
        #expect(echoed == "mine now")
        // The creator no longer owns it.
        #expect(!Inet.writeLine(h, "x"))
        #expect(Inet.getLastError() == InetErrorCode.notHandleOwner.legacyCode)
        #expect(Inet.attachThread(h, 0) != UInt32(bitPattern: INET_ERROR))
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func anEmptyReadBufferIsAnInvalidParameter() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork", "PIPE")
        defer { socat.stop() }
        let blocking = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil)
        let queue = MessageQueue()
        let events = Inet.asyncConnect(
            "127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil,
            LegacyEventAdapter(eventMessage: WM_USER + 1, sink: .queue(queue)))
        #expect(queue.next(timeout: .seconds(5))?.event == .connect)
        for h in [blocking, events] {
            #expect(Inet.read(h, UnsafeMutableRawBufferPointer(start: nil, count: 0)) == INET_ERROR)
            #expect(Inet.getLastError() == Self.invalidParameter)
            #expect(Inet.disconnect(h) == 0)
        }
    }

    @Test func badMessageNumbersSetTheLastError() {
        for message: UInt32 in [0, WM_USER, 0x1_0000, .max] {
            let adapter = LegacyEventAdapter(eventMessage: message, sink: .queue(MessageQueue()))
            #expect(
                Inet.asyncConnect("127.0.0.1", 9, INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil, adapter)
                    == INVALID_SOCKET)
            #expect(Inet.getLastError() == Self.invalidParameter, "0x\(String(message, radix: 16))")
            #expect(Inet.asyncListen("127.0.0.1", 0, adapter) == INVALID_SOCKET)
            #expect(Inet.getLastError() == Self.invalidParameter)
        }
    }

    @Test func headerNamesHaveTheirValues() {
        #expect(INET_ERROR == -1 && INVALID_SOCKET == .invalid && WM_USER == 0x0400)
        #expect(
            [
                INET_EVENT_CONNECT, INET_EVENT_DISCONNECT, INET_EVENT_READ, INET_EVENT_WRITE,
                INET_EVENT_TIMEOUT, INET_EVENT_CANCEL, INET_EVENT_ACCEPT,
            ] == [1, 2, 4, 8, 16, 32, 64])
        #expect(INET_PROTOCOL_TCP.rawValue == 6 && INET_PROTOCOL_UDP.rawValue == 17)
        #expect(INET_OPTION_NONE == 0 && INET_OPTION_KEEPALIVE == 4 && INET_OPTION_SECURE == 0x1000)
        let lParam: UInt32 = (10061 << 16) | INET_EVENT_CONNECT
        #expect(LOWORD(lParam) == INET_EVENT_CONNECT && HIWORD(lParam) == 10061)
        #expect(
            InetOptions(rawValue: INET_OPTION_REUSEADDRESS | INET_OPTION_EXCLUSIVE).description
                == "[reuseAddress, exclusive]")
    }

    @Test func readLineFramingNULsAndTheBufferReadAfterIt() throws {
        let (_, port, cleanup) = try Self.sender(Array("a\0b\r\nline two\nrest".utf8))
        defer { cleanup() }
        let h = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil)
        var line = ""
        #expect(Inet.readLine(h, &line))
        #expect(line == "ab")  // NUL dropped, CRLF stripped
        #expect(Inet.readLine(h, &line, 4))
        #expect(line == "line")  // maxLength bytes make a line
        #expect(Inet.readLine(h, &line))
        #expect(line == " two")
        var rest: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buffer.withUnsafeMutableBytes { Inet.read(h, $0) }
            if n <= 0 { break }
            rest += buffer[0..<Int(n)]
        }
        #expect(String(decoding: rest, as: UTF8.self) == "rest")  // what readLine buffered comes first
        #expect(!Inet.readLine(h, &line, 0))
        #expect(Inet.getLastError() == Self.invalidParameter)
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func readLineTimeoutReturnsThePartialText() throws {
        let (_, port, cleanup) = try Self.sender(Array("partial".utf8), then: 3)
        defer { cleanup() }
        let h = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 1, INET_OPTION_NONE, nil)
        var line = ""
        #expect(!Inet.readLine(h, &line))
        #expect(line == "partial")
        #expect(Inet.getLastError() == InetErrorCode.timedOut.legacyCode)
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func writeLineEndsEveryLineWithOneCRLF() {
        for (text, sent) in [
            ("a", "a\r\n"), ("a\n", "a\r\n"), ("a\r", "a\r\n"), ("a\r\n", "a\r\n"), ("a\0b", "a\r\n"), ("", "\r\n"),
        ] {
            #expect(String(decoding: Inet.lineBytes(text), as: UTF8.self) == sent, "\(text.debugDescription)")
        }
    }

    @Test func cancelEndsABlockingReadOnAnotherThread() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "SYSTEM:sleep 2")
        defer { socat.stop() }
        let h = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 30, INET_OPTION_FREETHREAD, nil)
        #expect(Inet.getStatus(h) == INET_STATUS_IDLE)
        #expect(!Inet.isBlocking(h))
        let result = Locked<(Int32, UInt32)?>(nil)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = buffer.withUnsafeMutableBytes { Inet.read(h, $0) }
            result.withLock { $0 = (n, Inet.getLastError()) }
        }
        reader.start()
        // The reader's call is observable as a state; wait for it (bounded), then cancel.
        let deadline = Deadline.after(.seconds(10))
        while !Inet.isBlocking(h), deadline.remaining > .zero { sched_yield() }
        #expect(Inet.isBlocking(h))
        #expect(Inet.getStatus(h) == INET_STATUS_READ)
        #expect(Inet.cancel(h) == 0)
        while result.withLock({ $0 }) == nil, deadline.remaining > .zero { sched_yield() }
        let (n, error) = try #require(result.withLock { $0 })
        #expect(n == INET_ERROR)
        #expect(error == InetErrorCode.cancelled.legacyCode)
        #expect(!Inet.isBlocking(h))
        #expect(Inet.getStatus(h) == INET_STATUS_IDLE)
        #expect(Inet.disconnect(h) == 0)
        #expect(Inet.getStatus(h) == INET_STATUS_UNUSED)
    }

    @Test func cancelOnAnEventHandlePostsCancel() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let (h, queue) = Self.eventHandle(port)
        #expect(queue.next(timeout: .seconds(5))?.event == .connect)
        #expect(Inet.cancel(h) == 0)
        var events: [InetEvent] = []
        while let message = queue.next(timeout: .seconds(5)) {
            events.append(try #require(message.event))
            if message.event == .cancel {
                #expect(HIWORD(message.lParam) == InetErrorCode.cancelled.legacyCode & 0xFFFF)
                break
            }
        }
        #expect(events.contains(.cancel))
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func perEventCallbacksRunOnTheLoopAndMayUseTheirHandle() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let (h, queue) = Self.eventHandle(port)
        let got = Locked<(bytes: [UInt8], params: Set<UInt>, errors: [UInt32])>(([], [], []))
        #expect(
            Inet.registerEvent(
                h, INET_EVENT_READ,
                { handle, event, error, param in
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let n = buffer.withUnsafeMutableBytes { Inet.read(handle, $0) }  // on the loop thread: allowed
                    got.withLock { state in
                        if n > 0 { state.bytes += buffer[0..<Int(n)] } else { state.errors.append(Inet.getLastError()) }
                        state.params.insert(param)
                    }
                }, 0xC0FFEE) == 0)
        #expect(Inet.registerEvent(h, 999, nil, 0) == INET_ERROR)
        #expect(Inet.getLastError() == Self.invalidParameter)
        #expect(queue.next(timeout: .seconds(5))?.event == .connect)
        #expect(Array("ping".utf8).withUnsafeBytes { Inet.write(h, $0) } == 4)
        let deadline = Deadline.after(.seconds(10))
        while got.withLock({ $0.bytes.count }) < 4, deadline.remaining > .zero {
            _ = queue.next(timeout: .milliseconds(50))
        }
        #expect(String(decoding: got.withLock { $0.bytes }, as: UTF8.self) == "ping")
        #expect(got.withLock { $0.params } == [0xC0FFEE])
        #expect(got.withLock { $0.errors }.allSatisfy { $0 == InetErrorCode.wouldBlock.legacyCode })
        #expect(Inet.registerEvent(h, INET_EVENT_READ, nil, 0) == 0)  // nil removes
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func disableEventsAndDisconnectDropTheHandlesQueuedMessages() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1,fork", "PIPE")
        defer { socat.stop() }
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: WM_USER + 1, sink: .queue(queue))
        let a = Inet.asyncConnect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil, adapter)
        let b = Inet.asyncConnect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil, adapter)
        // Let both connect (connect + write each) without pumping: the messages wait queued.
        let deadline = Deadline.after(.seconds(10))
        while queue.count < 4 && deadline.remaining > .zero { sched_yield() }
        #expect(queue.count == 4)
        #expect(Inet.disableEvents(a) == 0)
        #expect(Inet.disconnect(b) == 0)
        #expect(queue.count == 0)  // neither handle's messages are pumped after the calls returned
        #expect(Inet.enableEvents(a) == 0)
        // a's dropped write event fires again once enabled (the re-arm rule needs it seen).
        #expect(queue.next(timeout: .seconds(5))?.event == .write)
        #expect(Inet.disconnect(a) == 0)
    }

    @Test func flushDiscardsWhatWasReceivedButNotRead() throws {
        let (_, port, cleanup) = try Self.sender(Array("one\nabcdef".utf8), then: 2)
        defer { cleanup() }
        let h = Inet.connect("127.0.0.1", UInt32(port), INET_PROTOCOL_TCP, 5, INET_OPTION_NONE, nil)
        var line = ""
        #expect(Inet.readLine(h, &line) && line == "one")
        // Everything has arrived once the peer's bytes are all buffered or readable.
        let deadline = Deadline.after(.seconds(5))
        while Inet.peek(h, nil) + Int32(HandleTable.lookupForTesting(h).state.withLock { $0.lineBuffer.count }) < 6,
            deadline.remaining > .zero
        { sched_yield() }
        #expect(Inet.flush(h) == 6)
        #expect(Inet.peek(h, nil) == 0)
        #expect(!Inet.isReadable(h, 0))
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func asyncListenPostsAcceptAndAsyncAcceptGivesAnEventHandle() throws {
        let queue = MessageQueue()
        let adapter = LegacyEventAdapter(eventMessage: WM_USER + 2, sink: .queue(queue))
        let server = Inet.asyncListen("127.0.0.1", 0, adapter)
        #expect(server != INVALID_SOCKET)
        var address = ""
        var port: UInt32 = 0
        #expect(Inet.getLocalAddress(server, &address, &port) == 0)
        #expect(Inet.getStatus(server) == INET_STATUS_LISTEN)
        #expect(Inet.asyncAccept(server) == INVALID_SOCKET)  // nobody waits yet
        #expect(Inet.getLastError() == InetErrorCode.wouldBlock.legacyCode)
        let client = try Peer(["socat", "-t", "5", "-", "TCP:127.0.0.1:\(port)"], stdin: true)
        defer { client.stop() }
        client.send(Array("hello\n".utf8))
        var accepted = INVALID_SOCKET
        var echoed = false
        var seen: [InetEvent] = []
        while !echoed, let message = queue.next(timeout: .seconds(10)) {
            let event = try #require(message.event)
            seen.append(event)
            switch event {
            case .accept:
                #expect(message.handle == server)
                accepted = Inet.asyncAccept(server)
                #expect(accepted != INVALID_SOCKET)
            case .read:
                var buffer = [UInt8](repeating: 0, count: 64)
                let n = buffer.withUnsafeMutableBytes { Inet.read(accepted, $0) }
                if n > 0 {
                    #expect(buffer[0..<Int(n)].withUnsafeBytes { Inet.write(accepted, $0) } == n)
                    echoed = true
                }
            default: break
            }
        }
        #expect(Array(seen.prefix(2)) == [.accept, .connect])
        client.closeInput()
        #expect(try client.waitForStdout(containing: "hello").contains("hello"))
        #expect(Inet.disconnect(accepted) == 0)
        #expect(Inet.disconnect(server) == 0)
    }
}

/// UDP and reset behaviour of event-driven legacy handles (issue 13's review).
@Suite(.serialized) struct LegacyDatagramAndResetTests {
    @Test func aUDPHandleGetsNoReadBeforeADatagram() throws {
        let (socat, port) = try Socat.listen("UDP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let (h, queue) = LegacyBehaviourTests.eventHandle(port, INET_PROTOCOL_UDP)
        #expect(queue.next(timeout: .seconds(5))?.event == .connect)
        #expect(queue.next(timeout: .seconds(5))?.event == .write)
        #expect(queue.next(timeout: .milliseconds(200)) == nil)  // no READ: nothing has arrived
        #expect(Array("dgram".utf8).withUnsafeBytes { Inet.write(h, $0) } == 5)
        #expect(queue.next(timeout: .seconds(5))?.event == .read)  // the echo
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { Inet.read(h, $0) } == 5)
        #expect(Inet.disconnect(h) == 0)
    }

    @Test func readsAfterAPeerResetFailWith10054() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let (h, queue) = LegacyBehaviourTests.eventHandle(Int(listener.localAddress.port))
        let server = try listener.blocking.accept(timeout: .seconds(5))
        try server.resetForTesting()
        var disconnect: LegacyMessage?
        while disconnect == nil, let message = queue.next(timeout: .seconds(5)) {
            if message.event == .disconnect { disconnect = message }
        }
        #expect(disconnect?.errorCode == InetErrorCode.connectionReset.legacyCode)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { Inet.read(h, $0) } == INET_ERROR)
        #expect(Inet.getLastError() == InetErrorCode.connectionReset.legacyCode)
        #expect(Inet.disconnect(h) == 0)
        try listener.blocking.close()
    }
}

/// Line I/O on event-driven handles.
@Suite(.serialized) struct LegacyEventLineTests {
    @Test func readLineOnAnEventHandleLeavesEventsAsItFoundThem() throws {
        let (socat, port) = try Socat.listen("TCP-LISTEN:0,bind=127.0.0.1", "PIPE")
        defer { socat.stop() }
        let (h, queue) = LegacyBehaviourTests.eventHandle(port)
        #expect(queue.next(timeout: .seconds(5))?.event == .connect)
        #expect(Inet.writeLine(h, "first"))
        var line = ""
        #expect(Inet.readLine(h, &line) && line == "first")  // the handle switched to blocking for the call
        // Events stay disabled across a readLine when the application had disabled them.
        #expect(Inet.disableEvents(h) == 0)
        #expect(Inet.writeLine(h, "second"))
        #expect(Inet.readLine(h, &line) && line == "second")
        #expect(Inet.writeLine(h, "third"))
        #expect(queue.next(timeout: .milliseconds(300)) == nil)  // still disabled: no READ
        #expect(Inet.enableEvents(h) == 0)
        var sawRead = false
        while let message = queue.next(timeout: .seconds(5)) {
            if message.event == .read {
                sawRead = true
                break
            }
        }
        #expect(sawRead)  // the waiting "third" fires READ once enabled
        #expect(Inet.readLine(h, &line) && line == "third")
        #expect(Inet.disconnect(h) == 0)
    }
}

/// `Inet.cancel` at each blocking stage (readLine waiting for a line, accept waiting for a
/// client, writeLine into a full socket), many times: always "operation canceled", the handle
/// stays usable, nothing is left marked busy.
@Suite(.serialized) struct LegacyCancelStagesTests {
    /// Runs `call` on a new thread, waits (bounded) until the handle reports it blocking,
    /// cancels, and returns the call's result and last error.
    static func cancelWhileBlocked(
        _ handle: InetHandle, _ call: @escaping @Sendable () -> Bool
    ) throws -> (Bool, UInt32) {
        let result = Locked<(Bool, UInt32)?>(nil)
        let thread = Thread {
            let ok = call()
            result.withLock { $0 = (ok, Inet.getLastError()) }
        }
        thread.start()
        let deadline = Deadline.after(.seconds(10))
        while !Inet.isBlocking(handle), deadline.remaining > .zero { sched_yield() }
        #expect(Inet.cancel(handle) == 0)
        while result.withLock({ $0 }) == nil, deadline.remaining > .zero { sched_yield() }
        return try #require(result.withLock { $0 })
    }

    @Test func cancelReadLineAndAcceptManyTimes() throws {
        // A peer that never sends nor reads: a listener that never accepts (the kernel holds the connection).
        let silent = try Listener(address: "127.0.0.1", port: 0)
        defer { try? silent.blocking.close() }
        let h = Inet.connect(
            "127.0.0.1", UInt32(silent.localAddress.port), INET_PROTOCOL_TCP, 30, INET_OPTION_FREETHREAD, nil)
        let server = Inet.listenEx("127.0.0.1", 0, 0, INET_OPTION_FREETHREAD)
        for round in 0..<20 {
            let (read, readError) = try Self.cancelWhileBlocked(h) {
                var line = ""
                return Inet.readLine(h, &line)
            }
            #expect(!read && readError == InetErrorCode.cancelled.legacyCode, "round \(round)")
            let (accepted, acceptError) = try Self.cancelWhileBlocked(server) {
                Inet.accept(server, 30) != INVALID_SOCKET
            }
            #expect(!accepted && acceptError == InetErrorCode.cancelled.legacyCode, "round \(round)")
            #expect(!Inet.isBlocking(h) && !Inet.isBlocking(server))
            #expect(Inet.getStatus(h) == INET_STATUS_IDLE && Inet.getStatus(server) == INET_STATUS_LISTEN)
        }
        #expect(Inet.writeLine(h, "still usable"))
        #expect(Inet.disconnect(h) == 0)
        #expect(Inet.disconnect(server) == 0)
    }

    @Test func cancelAWriteLineIntoAFullSocket() throws {
        // A peer that never reads (a listener that never accepts): the socket buffers and the
        // write queue fill, the next line waits.
        let silent = try Listener(address: "127.0.0.1", port: 0)
        defer { try? silent.blocking.close() }
        let h = Inet.connect(
            "127.0.0.1", UInt32(silent.localAddress.port), INET_PROTOCOL_TCP, 30, INET_OPTION_FREETHREAD, nil)
        let big = String(repeating: "x", count: 32 << 20)
        // The first line is accepted (queued behind the full socket); the second waits for room.
        #expect(Inet.writeLine(h, big))
        let (wrote, error) = try Self.cancelWhileBlocked(h) { Inet.writeLine(h, big) }
        #expect(!wrote)
        #expect(error == InetErrorCode.cancelled.legacyCode)
        #expect(!Inet.isBlocking(h))
        #expect(Inet.disconnect(h) == 0)
    }
}
