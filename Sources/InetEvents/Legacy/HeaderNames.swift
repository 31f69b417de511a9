public import InetCore

// The names of the original header (`cswsock11.h`) that ported code uses, spelled as there, so a
// file ported line for line compiles with its own names. Values the vendor never published are
// Inet's (Docs/Porting.md lists which). Global constants by design: they are the C macros.

/// `INET_ERROR`: what a failing count-returning call returns (`Int32` -1).
public let INET_ERROR: Int32 = -1
/// `INVALID_SOCKET`: what a failing handle-returning call returns.
public let INVALID_SOCKET = InetHandle.invalid
/// `WM_USER`: application message numbers must be greater.
public let WM_USER: UInt32 = 0x0400

/// `INET_PROTOCOL_TCP` (6), for the protocol parameter of `Inet.connect` and friends.
public let INET_PROTOCOL_TCP = InetProtocol.tcp
/// `INET_PROTOCOL_UDP` (17).
public let INET_PROTOCOL_UDP = InetProtocol.udp

/// `INET_OPTION_NONE`.
public let INET_OPTION_NONE: UInt32 = 0
/// `INET_OPTION_BROADCAST` (`InetOptions.broadcast`).
public let INET_OPTION_BROADCAST = InetOptions.broadcast.rawValue
/// `INET_OPTION_DONTROUTE` (`InetOptions.dontRoute`).
public let INET_OPTION_DONTROUTE = InetOptions.dontRoute.rawValue
/// `INET_OPTION_KEEPALIVE` (`InetOptions.keepAlive`).
public let INET_OPTION_KEEPALIVE = InetOptions.keepAlive.rawValue
/// `INET_OPTION_REUSEADDRESS` (`InetOptions.reuseAddress`).
public let INET_OPTION_REUSEADDRESS = InetOptions.reuseAddress.rawValue
/// `INET_OPTION_NODELAY` (`InetOptions.noDelay`).
public let INET_OPTION_NODELAY = InetOptions.noDelay.rawValue
/// `INET_OPTION_RESERVEDPORT` (`InetOptions.reservedPort`).
public let INET_OPTION_RESERVEDPORT = InetOptions.reservedPort.rawValue
/// `INET_OPTION_NOINHERIT` (`InetOptions.noInherit`).
public let INET_OPTION_NOINHERIT = InetOptions.noInherit.rawValue
/// `INET_OPTION_FREETHREAD` (`InetOptions.freeThread`).
public let INET_OPTION_FREETHREAD = InetOptions.freeThread.rawValue
/// `INET_OPTION_SECURE_FALLBACK` (`InetOptions.secureFallback`).
public let INET_OPTION_SECURE_FALLBACK = InetOptions.secureFallback.rawValue
/// `INET_OPTION_PREFER_IPV6` (`InetOptions.preferIPv6`).
public let INET_OPTION_PREFER_IPV6 = InetOptions.preferIPv6.rawValue
/// `INET_OPTION_TRUSTEDSITE` (`InetOptions.trustedSite`).
public let INET_OPTION_TRUSTEDSITE = InetOptions.trustedSite.rawValue
/// `INET_OPTION_SECURE` (`InetOptions.secure`).
public let INET_OPTION_SECURE = InetOptions.secure.rawValue
/// `INET_OPTION_EXCLUSIVE` (`InetOptions.exclusive`).
public let INET_OPTION_EXCLUSIVE = InetOptions.exclusive.rawValue

/// `INET_EVENT_CONNECT` (``InetEvent/connect``), as compared with `LOWORD(lParam)`.
public let INET_EVENT_CONNECT = UInt32(InetEvent.connect.rawValue)
/// `INET_EVENT_DISCONNECT` (``InetEvent/disconnect``).
public let INET_EVENT_DISCONNECT = UInt32(InetEvent.disconnect.rawValue)
/// `INET_EVENT_READ` (``InetEvent/read``).
public let INET_EVENT_READ = UInt32(InetEvent.read.rawValue)
/// `INET_EVENT_WRITE` (``InetEvent/write``).
public let INET_EVENT_WRITE = UInt32(InetEvent.write.rawValue)
/// `INET_EVENT_TIMEOUT` (``InetEvent/timeout``).
public let INET_EVENT_TIMEOUT = UInt32(InetEvent.timeout.rawValue)
/// `INET_EVENT_CANCEL` (``InetEvent/cancel``).
public let INET_EVENT_CANCEL = UInt32(InetEvent.cancel.rawValue)
/// `INET_EVENT_ACCEPT` (``InetEvent/accept``).
public let INET_EVENT_ACCEPT = UInt32(InetEvent.accept.rawValue)

/// `LOWORD`: the low 16 bits (the event id of an `lParam`). A `UInt32`, so it compares with
/// `INET_EVENT_*` and error codes as the C macro's result did after integer promotion.
@inline(__always) public func LOWORD(_ value: UInt32) -> UInt32 { value & 0xFFFF }
/// `HIWORD`: the high 16 bits (the error code's low word in an `lParam`).
@inline(__always) public func HIWORD(_ value: UInt32) -> UInt32 { value >> 16 }
