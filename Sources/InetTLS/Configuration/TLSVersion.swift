import COpenSSL

/// A TLS protocol version.
public enum TLSVersion: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// TLS 1.0 (only with legacy fallback).
    case v1_0 = 10
    /// TLS 1.1 (only with legacy fallback).
    case v1_1 = 11
    /// TLS 1.2 (the default minimum).
    case v1_2 = 12
    /// TLS 1.3 (the default maximum).
    case v1_3 = 13

    /// Parses `1.0`, `1.1`, `1.2`, `1.3`.
    public init?(_ text: String) {
        switch text {
        case "1.0": self = .v1_0
        case "1.1": self = .v1_1
        case "1.2": self = .v1_2
        case "1.3": self = .v1_3
        default: return nil
        }
    }

    /// Orders by age.
    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rawValue < b.rawValue }

    /// `TLSv1.2` style, as OpenSSL names versions.
    public var description: String {
        switch self {
        case .v1_0: "TLSv1"
        case .v1_1: "TLSv1.1"
        case .v1_2: "TLSv1.2"
        case .v1_3: "TLSv1.3"
        }
    }

    var openSSLValue: Int32 {
        switch self {
        case .v1_0: CINET_TLS1_VERSION
        case .v1_1: CINET_TLS1_1_VERSION
        case .v1_2: CINET_TLS1_2_VERSION
        case .v1_3: CINET_TLS1_3_VERSION
        }
    }
}
