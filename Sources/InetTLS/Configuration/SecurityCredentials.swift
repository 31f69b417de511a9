/// Certificates, keys and trust settings: the original `SECURITYCREDENTIALS`, for Linux.
///
/// `certificateStore` is a PKCS#12 file (`.p12`/`.pfx`), a PEM file holding a certificate chain
/// and its key, or a directory of PEM files. When the store holds several identities,
/// `certificateName` picks one by subject common name or PKCS#12 friendly name.
public struct SecurityCredentials: Sendable, Hashable {
    /// Path of the PKCS#12 file, PEM file or directory of PEM files; `nil` for none (a client
    /// that only needs trust settings).
    public var certificateStore: String?
    /// The subject CN or friendly name of the certificate to use, when the store holds several.
    public var certificateName: String?
    /// Password of the PKCS#12 file or of an encrypted PEM key.
    public var password: String?
    /// A separate PEM private key file (when the store holds only certificates).
    public var privateKeyFile: String?
    /// Lowest TLS version allowed (default 1.2; 1.0 and 1.1 need `secureFallback`).
    public var minimumVersion: TLSVersion?
    /// Highest TLS version allowed (default 1.3).
    public var maximumVersion: TLSVersion?
    /// A PEM file of extra trust roots (a private CA), used besides the system trust store.
    public var trustRootsFile: String?
    /// Base64 SHA-256 hashes of acceptable peer SubjectPublicKeyInfo; empty means no pinning.
    public var pinnedKeys: [String]
    /// Clients: keep the session each connection ends with and offer it on the next connect to
    /// the same host and port (TLS session resumption: no certificate exchange, far less CPU).
    /// Off by default: a resumed session is linkable to the earlier one by the server.
    public var sessionResumption: Bool

    /// Credentials; every field optional.
    public init(
        certificateStore: String? = nil, certificateName: String? = nil, password: String? = nil,
        privateKeyFile: String? = nil, minimumVersion: TLSVersion? = nil, maximumVersion: TLSVersion? = nil,
        trustRootsFile: String? = nil, pinnedKeys: [String] = [], sessionResumption: Bool = false
    ) {
        self.sessionResumption = sessionResumption
        self.certificateStore = certificateStore
        self.certificateName = certificateName
        self.password = password
        self.privateKeyFile = privateKeyFile
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.trustRootsFile = trustRootsFile
        self.pinnedKeys = pinnedKeys
    }
}

extension SecurityCredentials: CustomStringConvertible {
    /// Describes the credentials without the password.
    public var description: String {
        var parts: [String] = []
        if let certificateStore { parts.append("store=\(certificateStore)") }
        if let certificateName { parts.append("name=\(certificateName)") }
        if password != nil { parts.append("password=<redacted>") }
        if let privateKeyFile { parts.append("key=\(privateKeyFile)") }
        if let trustRootsFile { parts.append("roots=\(trustRootsFile)") }
        if !pinnedKeys.isEmpty { parts.append("pins=\(pinnedKeys.count)") }
        if sessionResumption { parts.append("resumption") }
        return "SecurityCredentials(\(parts.joined(separator: ", ")))"
    }
}
