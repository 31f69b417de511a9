import COpenSSL

/// Reads every certificate and key of a PKCS#12 file, with friendly names and local key IDs,
/// so a bundle holding several identities can be searched (PKCS12_parse returns only one).
enum PKCS12Reader {
    static func read(_ bytes: [UInt8], path: String, password: String?) throws(TLSError) -> [CredentialLoader.Item] {
        let bio = bytes.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        defer { BIO_free(bio) }
        guard let p12 = d2i_PKCS12_bio(bio, nil) else {
            _ = OpenSSLErrors.drain()
            throw TLSError(.credentialsInvalid, "'\(path)' is neither PEM nor PKCS#12")
        }
        defer { PKCS12_free(p12) }
        // The MAC tells a wrong password apart from a damaged file.
        let pass = password ?? ""
        guard
            PKCS12_verify_mac(p12, pass, Int32(pass.utf8.count)) == 1
                || (password == nil && PKCS12_verify_mac(p12, nil, 0) == 1)
        else {
            _ = OpenSSLErrors.drain()
            throw TLSError(
                .credentialsWrongPassword,
                password == nil ? "'\(path)' needs a password" : "the password does not open '\(path)'")
        }
        guard let safes = PKCS12_unpack_authsafes(p12) else {
            throw TLSError(
                .credentialsInvalid, "'\(path)': cannot unpack PKCS#12 contents",
                openSSLReason: OpenSSLErrors.lastReason())
        }
        defer { cinet_sk_pkcs7_pop_free(safes) }
        var items: [CredentialLoader.Item] = []
        for i in 0..<cinet_sk_pkcs7_num(safes) {
            let p7 = cinet_sk_pkcs7_value(safes, i)
            let bags: OpaquePointer?
            switch cinet_pkcs7_nid(p7) {
            case NID_pkcs7_data: bags = PKCS12_unpack_p7data(p7)
            case NID_pkcs7_encrypted: bags = PKCS12_unpack_p7encdata(p7, pass, Int32(pass.utf8.count))
            default: bags = nil
            }
            guard let bags else { continue }
            defer { cinet_sk_bag_pop_free(bags) }
            for j in 0..<cinet_sk_bag_num(bags) {
                guard let bag = cinet_sk_bag_value(bags, j) else { continue }
                var item = CredentialLoader.Item()
                if let name = PKCS12_get_friendlyname(bag) {
                    item.friendlyName = String(cString: name)
                    cinet_openssl_free(name)
                }
                if let attribute = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID),
                    let data = attribute.pointee.value.octet_string
                {
                    item.localKeyID = Array(
                        UnsafeBufferPointer(start: data.pointee.data, count: Int(data.pointee.length)))
                }
                switch PKCS12_SAFEBAG_get_nid(bag) {
                case NID_certBag:
                    item.certificate = PKCS12_SAFEBAG_get1_cert(bag)
                case NID_keyBag:
                    if let p8 = PKCS12_SAFEBAG_get0_p8inf(bag) { item.key = EVP_PKCS82PKEY(p8) }
                case NID_pkcs8ShroudedKeyBag:
                    if let p8 = PKCS12_decrypt_skey(bag, pass, Int32(pass.utf8.count)) {
                        item.key = EVP_PKCS82PKEY(p8)
                        PKCS8_PRIV_KEY_INFO_free(p8)
                    }
                default: break
                }
                if item.certificate != nil || item.key != nil { items.append(item) }
            }
        }
        _ = OpenSSLErrors.drain()
        return items
    }
}
