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

    func validate(listening: Bool) throws {
        for (flag, value) in [("--tls-min", tlsMin), ("--tls-max", tlsMax)] {
            if let value, TLSVersion(value) == nil {
                throw ValidationError("\(flag) must be 1.0, 1.1, 1.2 or 1.3; got '\(value)'")
            }
        }
        let tlsOnly: [(String, Bool)] = [
            ("--trusted-site", trustedSite), ("--secure-fallback", secureFallback), ("--cert-store", certStore != nil),
            ("--cert-name", certName != nil), ("--cert-password", certPassword != nil), ("--key-file", keyFile != nil),
            ("--ca-file", caFile != nil), ("--pin", !pin.isEmpty), ("--tls-min", tlsMin != nil), ("--tls-max", tlsMax != nil),
            ("--require-client-cert", requireClientCert),
        ]
        if !secure, let (flag, _) = tlsOnly.first(where: { $0.1 }) {
            throw ValidationError("\(flag) needs --secure")
        }
        if listening, secure, certStore == nil { throw ValidationError("--listen --secure needs --cert-store") }
        if !listening, requireClientCert { throw ValidationError("--require-client-cert needs --listen") }
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
            trustRootsFile: caFile, pinnedKeys: pin)
    }

    /// The listener's server configuration (nil without --secure).
    var serverConfiguration: TLSConfiguration? {
        guard let credentials else { return nil }
        return TLSConfiguration(
            role: .server, legacyFallback: secureFallback, credentials: credentials, requireClientCertificate: requireClientCert)
    }

    /// `tls: version=TLSv1.3 cipher=NAME peer=CN verified=yes|no`
    static func describe(_ info: TLSInfo) -> String {
        "tls: version=\(info.version) cipher=\(info.cipher) peer=\(info.peerCommonName ?? "-") verified=\(info.peerVerified ? "yes" : "no")"
    }
}
