import COpenSSL

/// A certificate with its private key and the rest of its chain, owning the OpenSSL objects.
final class Identity {
    let certificate: OpaquePointer  // X509*
    let key: OpaquePointer  // EVP_PKEY*
    let chain: [OpaquePointer]  // X509*, leaf excluded

    /// Takes ownership of one reference to each object.
    init(certificate: OpaquePointer, key: OpaquePointer, chain: [OpaquePointer]) {
        self.certificate = certificate
        self.key = key
        self.chain = chain
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
        for c in chain { X509_free(c) }
    }

    /// The subject common name of `certificate`, if it has one.
    static func commonName(_ x509: OpaquePointer) -> String? {
        guard let name = X509_get_subject_name(x509) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let n = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
