import InetCore
import InetEvents

/// The legacy API where outside numbers come in: handles never issued (every call refuses with
/// `invalidHandle` in the last error, and nothing crashes), message numbers (refused exactly when
/// outside WM_USER+1 … 0xFFFF), and the word helpers (`LOWORD`/`HIWORD` put back give the value).
/// No sockets: the process issues no handle, so any number is one it never issued.
enum LegacyFuzz {
    static let initialized: Bool = Inet.initialize()

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        try check(initialized, "Inet.initialize() failed")
        let invalid = InetErrorCode.invalidHandle.legacyCode
        var buffer = [UInt8](repeating: 0, count: 16)
        for _ in 0..<input.int(in: 1...32) {
            let handle = InetHandle(rawValue: UInt(truncatingIfNeeded: input.int(in: Int.min...Int.max)))
            let call = input.int(in: 0...9)
            var expected = invalid  // parameters are checked before the handle (shutdown's how)
            let failed: Bool
            switch call {
            case 0: failed = buffer.withUnsafeMutableBytes { Inet.read(handle, $0) } == INET_ERROR
            case 1: failed = buffer.withUnsafeBytes { Inet.write(handle, $0) } == INET_ERROR
            case 2: failed = buffer.withUnsafeMutableBytes { Inet.peek(handle, $0) } == INET_ERROR
            case 3: failed = Inet.disconnect(handle) == INET_ERROR
            case 4: failed = Inet.cancel(handle) == INET_ERROR
            case 5:
                var line = "unchanged?"
                failed = !Inet.readLine(handle, &line, input.int(in: 1...8192))
            case 6: failed = !Inet.writeLine(handle, String(decoding: input.bytes(upTo: 64), as: UTF8.self))
            case 7:
                let how = Int32(truncatingIfNeeded: input.int(in: -1...3))
                if !(0...2).contains(how) { expected = InetErrorCode.invalidParameter.legacyCode }
                failed = Inet.shutdown(handle, how) == INET_ERROR
            case 8: failed = Inet.enableEvents(handle) == INET_ERROR
            default: failed = Inet.disableEvents(handle) == INET_ERROR
            }
            try check(failed, "call \(call) on handle \(handle) that was never issued did not fail")
            let error = Inet.getLastError()
            try check(error == expected, "call \(call) on a handle never issued: last error \(error), not \(expected)")
        }
        let message = input.uint32()
        let refused: Bool
        do {
            try LegacyEventAdapter(eventMessage: message, sink: .queue(MessageQueue())).validate()
            refused = false
        } catch {
            try check(error.code == .invalidParameter, "message \(message): \(error.code), not invalidParameter")
            refused = true
        }
        try check(refused == !(0x0401...0xFFFF).contains(message), "message number \(message) refused: \(refused)")
        let value = input.uint32()
        try check(HIWORD(value) << 16 | LOWORD(value) == value, "LOWORD/HIWORD of \(value) do not put it back")
    }
}
