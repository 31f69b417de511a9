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
    /// A PEM file of extra trust roots (a private CA), used besides the system trust store
    /// (alone with ``trustRootsOnly``). Servers asking for client certificates judge them by
    /// these roots only.
    public var trustRootsFile: String?
    /// Base64 SHA-256 hashes of acceptable peer SubjectPublicKeyInfo; empty means no pinning.
    public var pinnedKeys: [String]
    /// Clients: keep the session each connection ends with and offer it on the next connect to
    /// the same host and port (TLS session resumption: no certificate exchange, far less CPU).
    /// Off by default: a resumed session is linkable to the earlier one by the server.
    public var sessionResumption: Bool
    /// ALPN protocol names (`h2`, `http/1.1`), most preferred first. Clients offer them; servers
    /// pick the first of theirs the client offers and refuse a client that offers only others
    /// (`no_application_protocol`). The chosen one is `TLSInfo`'s `applicationProtocol`.
    public var applicationProtocols: [String]
    /// Trust only ``trustRootsFile``'s roots: the system trust store is not read (clients).
    public var trustRootsOnly: Bool
    /// Strict X.509 checking (OpenSSL's `X509_V_FLAG_X509_STRICT`): certificates that bend the
    /// RFC 5280 rules (malformed extensions, CA certificates without key usage, …) are refused.
    public var strictVerification: Bool
    /// A PEM file of CRLs: the peer's leaf certificate is refused when its issuer's CRL there
    /// revokes it (`certificateRevoked`), and also when the file holds no CRL of that issuer.
    public var crlFile: String?
    /// TLS 1.2-and-older suites, in OpenSSL's cipher-list syntax (default: ECDHE with AES-GCM or
    /// ChaCha20; with `.secureFallback`, forward-secret suites including CBC).
    public var cipherList: String?
    /// TLS 1.3 suites, OpenSSL's syntax (`TLS_AES_128_GCM_SHA256:…`); default OpenSSL's.
    public var cipherSuites: String?
    /// Key-exchange groups, most preferred first (default `X25519`, `P-256`, `P-384`:
    /// Mozilla's intermediate profile).
    public var groups: [String]?

    /// Credentials; every field optional.
    public init(
        certificateStore: String? = nil, certificateName: String? = nil, password: String? = nil,
        privateKeyFile: String? = nil, minimumVersion: TLSVersion? = nil, maximumVersion: TLSVersion? = nil,
        trustRootsFile: String? = nil, pinnedKeys: [String] = [], sessionResumption: Bool = false,
        applicationProtocols: [String] = [], trustRootsOnly: Bool = false, strictVerification: Bool = false,
        crlFile: String? = nil, cipherList: String? = nil, cipherSuites: String? = nil, groups: [String]? = nil
    ) {
        self.sessionResumption = sessionResumption
        self.applicationProtocols = applicationProtocols
        self.trustRootsOnly = trustRootsOnly
        self.strictVerification = strictVerification
        self.crlFile = crlFile
        self.cipherList = cipherList
        self.cipherSuites = cipherSuites
        self.groups = groups
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
        if !applicationProtocols.isEmpty { parts.append("alpn=\(applicationProtocols.joined(separator: ","))") }
        if trustRootsOnly { parts.append("roots-only") }
        if strictVerification { parts.append("strict") }
        if let crlFile { parts.append("crl=\(crlFile)") }
        if let cipherList { parts.append("ciphers=\(cipherList)") }
        if let cipherSuites { parts.append("suites=\(cipherSuites)") }
        if let groups { parts.append("groups=\(groups.joined(separator: ":"))") }
        return "SecurityCredentials(\(parts.joined(separator: ", ")))"
    }
}
