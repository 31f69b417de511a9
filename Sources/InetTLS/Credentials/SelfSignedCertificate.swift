import COpenSSL
import Glibc

/// Makes a self-signed ECDSA P-256 certificate and key as PEM files — for demos, tests and
/// private deployments where the certificate is also the client's trust root.
public enum SelfSignedCertificate {
    /// The files written.
    public struct Files: Sendable, Equatable {
        /// The certificate and key together (a `certificateStore` for a server).
        public var store: String
        /// The certificate alone (a `trustRootsFile` for clients).
        public var certificate: String
    }

    /// Writes `cert.pem` and `store.pem` into `directory` for `commonName`, valid now and for
    /// `days` days, naming `subjectAltNames` (`DNS:localhost`, `IP:127.0.0.1`, …).
    public static func make(
        commonName: String, subjectAltNames: [String], days: Int = 1, directory: String
    ) throws(TLSError) -> Files {
        guard let key = generateKey() else { throw failure("cannot generate a P-256 key") }
        defer { EVP_PKEY_free(key) }
        guard let x509 = X509_new() else { throw failure("cannot allocate a certificate") }
        defer { X509_free(x509) }
        X509_set_version(x509, 2)
        ASN1_INTEGER_set(X509_get_serialNumber(x509), Int(UInt32.random(in: 1...UInt32.max)))
        X509_gmtime_adj(X509_getm_notBefore(x509), -300)
        X509_gmtime_adj(X509_getm_notAfter(x509), days * 86_400)
        X509_set_pubkey(x509, key)
        let name = X509_get_subject_name(x509)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0)
        X509_set_issuer_name(x509, name)
        for (nid, value) in [
            (NID_subject_alt_name, subjectAltNames.joined(separator: ",")), (NID_basic_constraints, "critical,CA:TRUE"),
        ]
        where !value.isEmpty {
            guard let ext = X509V3_EXT_conf_nid(nil, nil, nid, value) else { throw failure("bad extension '\(value)'") }
            X509_add_ext(x509, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(x509, key, EVP_sha256()) > 0 else { throw failure("cannot sign the certificate") }
        let files = Files(store: directory + "/store.pem", certificate: directory + "/cert.pem")
        try write(files.certificate) { PEM_write_bio_X509($0, x509) }
        try write(files.store) {
            PEM_write_bio_X509($0, x509) == 1 && PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) == 1 ? 1 : 0
        }
        return files
    }

    private static func generateKey() -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1,
            EVP_PKEY_generate(ctx, &key) == 1
        else {
            return nil
        }
        return key
    }

    private static func write(_ path: String, _ body: (OpaquePointer?) -> Int32) throws(TLSError) {
        guard let bio = BIO_new_file(path, "w") else { throw failure("cannot write '\(path)'") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw failure("cannot write PEM to '\(path)'") }
        chmod(path, 0o600)
    }

    private static func failure(_ message: String) -> TLSError {
        TLSError(.credentialsInvalid, message, openSSLReason: OpenSSLErrors.lastReason())
    }
}
