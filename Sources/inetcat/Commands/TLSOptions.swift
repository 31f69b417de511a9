import ArgumentParser
import InetCore
import InetTLS

/// inetcat's TLS flags (client and `--listen`).
struct TLSOptions: ParsableArguments {
    @Flag(name: .long, help: "Use TLS (client: right after connecting; --listen: needs --cert-store).")
    var secure = false
    @Flag(name: .long, help: "Do not validate the server certificate (still encrypts).")
    var trustedSite = false
    @Flag(name: .long, help: "Allow TLS 1.0/1.1 and legacy ciphers (OpenSSL security level 0).")
    var secureFallback = false
    @Option(name: .long, help: "Certificate store: PKCS#12 file, PEM file, or directory of PEM files.")
    var certStore: String?
    @Option(name: .long, help: "Certificate to use from the store: subject CN or PKCS#12 friendly name.")
    var certName: String?
    @Option(name: .long, help: "Password of the PKCS#12 store or encrypted key.")
    var certPassword: String?
    @Option(name: .long, help: "Separate PEM private key file.")
    var keyFile: String?
    @Option(name: .long, help: "Extra trust roots (PEM): a private CA; with --listen, the CA for client certificates.")
    var caFile: String?
    @Option(name: .long, help: "Accept only a peer whose public key has this base64 SHA-256 SPKI hash (repeatable).")
    var pin: [String] = []
    @Option(name: .long, help: "Lowest TLS version: 1.0, 1.1, 1.2 or 1.3.")
    var tlsMin: String?
    @Option(name: .long, help: "Highest TLS version: 1.0, 1.1, 1.2 or 1.3.")
    var tlsMax: String?
    @Flag(name: .long, help: "With --listen --secure: require and verify a client certificate (see --ca-file).")
    var requireClientCert = false
    @Option(name: .long, help: "ALPN protocols, most preferred first, comma-separated (e.g. h2,http/1.1).")
    var alpn: String?
    @Flag(name: .long, help: "Trust only the --ca-file roots, not the system trust store.")
    var trustOnly = false
    @Option(
        name: .long,
        help: "PEM file of CRLs: refuse a peer certificate they revoke (and one whose issuer has none there).")
    var crlFile: String?
    @Flag(name: .long, help: "Strict X.509 checking of the peer's certificates (OpenSSL's X509_V_FLAG_X509_STRICT).")
    var strict = false
    @Option(
        name: .long, help: "Session file: resume the TLS session saved there (if any), and save the new one on exit.")
    var resume: String?

    func validate(listening: Bool) throws {
        for (flag, value) in [("--tls-min", tlsMin), ("--tls-max", tlsMax)] {
            if let value, TLSVersion(value) == nil {
                throw ValidationError("\(flag) must be 1.0, 1.1, 1.2 or 1.3; got '\(value)'")
            }
        }
        let tlsOnly: [(String, Bool)] = [
            ("--trusted-site", trustedSite), ("--secure-fallback", secureFallback), ("--cert-store", certStore != nil),
            ("--cert-name", certName != nil), ("--cert-password", certPassword != nil), ("--key-file", keyFile != nil),
            ("--ca-file", caFile != nil), ("--pin", !pin.isEmpty), ("--tls-min", tlsMin != nil),
            ("--tls-max", tlsMax != nil),
            ("--require-client-cert", requireClientCert), ("--alpn", alpn != nil), ("--trust-only", trustOnly),
            ("--crl-file", crlFile != nil), ("--strict", strict), ("--resume", resume != nil),
        ]
        if !secure, let (flag, _) = tlsOnly.first(where: { $0.1 }) {
            throw ValidationError("\(flag) needs --secure")
        }
        if listening, secure, certStore == nil { throw ValidationError("--listen --secure needs --cert-store") }
        if !listening, requireClientCert { throw ValidationError("--require-client-cert needs --listen") }
        if listening, resume != nil { throw ValidationError("--resume applies to connecting, not --listen") }
        if trustOnly, caFile == nil { throw ValidationError("--trust-only needs --ca-file: the roots to trust") }
        if let alpn, alpnProtocols.isEmpty || alpnProtocols.contains(where: \.isEmpty) {
            throw ValidationError("--alpn takes comma-separated protocol names (h2,http/1.1); got '\(alpn)'")
        }
    }

    /// The connection options these flags add.
    var options: InetOptions {
        var o: InetOptions = []
        if secure { o.insert(.secure) }
        if trustedSite { o.insert(.trustedSite) }
        if secureFallback { o.insert(.secureFallback) }
        return o
    }

    /// The credentials these flags describe (nil without --secure).
    var credentials: SecurityCredentials? {
        guard secure else { return nil }
        return SecurityCredentials(
            certificateStore: certStore, certificateName: certName, password: certPassword, privateKeyFile: keyFile,
            minimumVersion: tlsMin.flatMap(TLSVersion.init), maximumVersion: tlsMax.flatMap(TLSVersion.init),
            trustRootsFile: caFile, pinnedKeys: pin, applicationProtocols: alpnProtocols, trustRootsOnly: trustOnly,
            strictVerification: strict, crlFile: crlFile
        )
        .resuming(resume != nil)
    }

    /// `--alpn` split at commas.
    var alpnProtocols: [String] {
        alpn.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    }

    /// The listener's server configuration (nil without --secure).
    var serverConfiguration: TLSConfiguration? {
        guard let credentials else { return nil }
        return TLSConfiguration(
            role: .server, legacyFallback: secureFallback, credentials: credentials,
            requireClientCertificate: requireClientCert)
    }

    /// `tls: version=TLSv1.3 cipher=NAME peer=CN verified=yes|no`
    static func describe(_ info: TLSInfo) -> String {
        "tls: version=\(info.version) cipher=\(info.cipher) peer=\(info.peerCommonName ?? "-") verified=\(info.peerVerified ? "yes" : "no")"
            + " alpn=\(info.applicationProtocol ?? "-") resumed=\(info.resumed ? "yes" : "no")"
    }
}
