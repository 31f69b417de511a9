public import InetCore

/// An event as the original API posted it: `(wParam = handle, uEventMsg, lParam)`.
public struct LegacyMessage: Sendable, Equatable, CustomStringConvertible {
    /// The connection's legacy handle (the original's `wParam`).
    public var handle: InetHandle
    /// The application's message number (`uEventMsg`, above `WM_USER`).
    public var eventMessage: UInt32
    /// Event id in the low 16 bits; the low 16 bits of the error code in the high 16 bits.
    public var lParam: UInt32
    /// The whole error code (0: none); `lParam` can carry only its low 16 bits.
    public var errorCode: UInt32

    /// Packs an event and its error the way the original did.
    public init(handle: InetHandle, eventMessage: UInt32, event: InetEvent, error: InetErrorCode?) {
        self.handle = handle
        self.eventMessage = eventMessage
        self.lParam = UInt32(event.rawValue) | ((error.map { $0.legacyCode & 0xFFFF } ?? 0) << 16)
        self.errorCode = error?.legacyCode ?? 0
    }

    /// A message of the application's own (e.g. to wake its pump), with a raw `lParam`.
    public init(handle: InetHandle, eventMessage: UInt32, lParam: UInt32) {
        self.handle = handle
        self.eventMessage = eventMessage
        self.lParam = lParam
        self.errorCode = 0
    }

    /// The event (low word of `lParam`).
    public var event: InetEvent? { InetEvent(rawValue: UInt16(lParam & 0xFFFF)) }
    /// The low word of the error code (high word of `lParam`); 0 when none.
    public var errorLowWord: UInt16 { UInt16(lParam >> 16) }

    /// `event=read handle=0x… msg=0x0401 lparam=0x00000004 error=0` (inetcat's `--events` line).
    public var description: String {
        "event=\(event?.description ?? "?") handle=\(handle) msg=0x\(hex(eventMessage, 4)) lparam=0x\(hex(lParam, 8)) error=\(errorCode)"
    }
}

func hex(_ value: UInt32, _ digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}
