import COpenSSL
import Foundation

/// Certificates made fresh for each test run with the `openssl` command (so nothing checked in
/// can expire): a CA, a leaf for localhost/127.0.0.1/::1, a leaf for another name, an expired
/// leaf, two client identities, and their PEM, PEM-directory and PKCS#12 forms.
public enum TestCertificates {
    public static let password = "secret"

    /// The directory holding them, made once per process.
    public static let directory: String = {
        let dir = NSTemporaryDirectory() + "inet-tls-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = #"""
            set -e
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
            key ca
            openssl req -x509 -new -key ca.key -subj "/CN=Inet Test CA" -days 30 -out ca.pem \
              -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
            leaf() {
              key "$1"
              openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
              printf "subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n" "$3" > "$1.ext"
              openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
            }
            leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
            leaf other other.example "DNS:other.example"
            leaf server-test server.test "DNS:server.test"  # the test bed's server (issue 15)
            leaf client "Inet Test Client" "DNS:client.test"
            leaf client2 "Second Client" "DNS:client2.test"
            # An expired leaf: `openssl ca` takes explicit dates.
            mkdir -p ca.db && : > ca.db/index.txt && echo 1000 > ca.db/serial && echo 'unique_subject = no' > ca.db/index.txt.attr
            printf '[ca]\ndefault_ca=t\n[t]\ndatabase=ca.db/index.txt\nserial=ca.db/serial\nnew_certs_dir=ca.db\ncertificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' > ca.cnf
            key expired
            openssl req -new -key expired.key -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out expired.csr
            openssl ca -batch -config ca.cnf -in expired.csr -startdate 20200101000000Z -enddate 20200201000000Z -out expired.pem -notext 2>/dev/null
            # A second root standing for a public CA of the system store (issue 11): its client
            # certificate must not open an mTLS server that was given ca.pem alone.
            key publicca
            openssl req -x509 -new -key publicca.key -subj "/CN=Public Root CA" -days 30 -out publicca.pem \
              -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
            key public-client
            openssl req -new -key public-client.key -subj "/CN=Public Client" -out public-client.csr
            printf "subjectAltName=DNS:public-client.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n" > public-client.ext
            openssl x509 -req -in public-client.csr -CA publicca.pem -CAkey publicca.key -CAcreateserial -days 30 -extfile public-client.ext -out public-client.pem 2>/dev/null
            { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; cat publicca.pem; } > system-with-public-ca.pem
            # Names that must not verify (RFC 9525): CN only, no SAN; a partial wildcard.
            key cn-only
            openssl req -new -key cn-only.key -subj "/CN=localhost" -out cn-only.csr
            printf "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" > cn-only.ext
            openssl x509 -req -in cn-only.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile cn-only.ext -out cn-only.pem 2>/dev/null
            leaf partial-wildcard "partial wildcard" "DNS:f*.example.test"
            # An intermediate name-constrained to example.test and the CN-only "localhost" leaf it
            # issued: it verifies only where names are still taken from the subject CN (the
            # constraint applies to SANs; a CN-only leaf escapes it).
            key constrained-ca
            openssl req -new -key constrained-ca.key -subj "/CN=Constrained CA" -out constrained-ca.csr
            printf "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nnameConstraints=critical,permitted;DNS:example.test\n" > constrained-ca.ext
            openssl x509 -req -in constrained-ca.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile constrained-ca.ext -out constrained-ca.pem 2>/dev/null
            key constrained-leaf
            openssl req -new -key constrained-leaf.key -subj "/CN=localhost" -out constrained-leaf.csr
            openssl x509 -req -in constrained-leaf.csr -CA constrained-ca.pem -CAkey constrained-ca.key -CAcreateserial -days 30 -extfile cn-only.ext -out constrained-leaf.pem 2>/dev/null
            # A revoked localhost leaf and the CA's CRL naming it.
            key revoked
            openssl req -new -key revoked.key -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out revoked.csr
            openssl ca -batch -config ca.cnf -in revoked.csr -days 30 -out revoked.pem -notext 2>/dev/null
            openssl ca -config ca.cnf -revoke revoked.pem 2>/dev/null
            openssl ca -config ca.cnf -gencrl -crldays 30 -out ca.crl 2>/dev/null
            # Weak leaves that must not verify, with or without .secureFallback: RSA-1024, SHA-1.
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
            openssl req -new -key rsa1024.key -subj "/CN=localhost" -out rsa1024.csr
            printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" > weak.ext
            openssl x509 -req -in rsa1024.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile weak.ext -out rsa1024.pem 2>/dev/null
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
            openssl req -new -key rsa2048.key -subj "/CN=localhost" -out rsa2048.csr
            openssl x509 -req -in rsa2048.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile weak.ext -out rsa2048.pem 2>/dev/null
            key sha1
            openssl req -new -key sha1.key -subj "/CN=localhost" -out sha1.csr
            openssl x509 -req -sha1 -in sha1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile weak.ext -out sha1.pem 2>/dev/null
            # Passes ordinary verification, fails strict X.509 (no authority key identifier).
            printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n" > lax.ext
            openssl x509 -req -in rsa2048.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile lax.ext -out lax.pem 2>/dev/null
            cp rsa2048.key lax.key
            # A localhost server certificate from the "public" CA of system-with-public-ca.pem.
            key public-server
            openssl req -new -key public-server.key -subj "/CN=localhost" -out public-server.csr
            openssl x509 -req -in public-server.csr -CA publicca.pem -CAkey publicca.key -CAcreateserial -days 30 -extfile weak.ext -out public-server.pem 2>/dev/null
            # Store forms.
            cat server.pem ca.pem server.key > server-bundle.pem
            cat client.pem client.key > client-bundle.pem
            cat client.pem other.key > mismatched-bundle.pem
            openssl pkcs8 -topk8 -in client.key -passout pass:secret -out client-encrypted.key
            openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -name client-one -passout pass:secret -out client.p12
            mkdir -p client-dir && cp client.pem client-dir/client.pem && cp client.key client-dir/client.key
            : > empty.pem
            """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.standardOutput = FileHandle.nullDevice
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "making test certificates failed in \(dir)")
        writeTwoIdentityPKCS12(
            to: dir + "/two-identities.p12",
            identities: [
                (dir + "/client.pem", dir + "/client.key", "client-one"),
                (dir + "/client2.pem", dir + "/client2.key", "client-two"),
            ])
        return dir
    }()

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// A PKCS#12 file holding two certificate+key pairs, each with a friendly name and a local key
    /// ID (the `openssl pkcs12` command can only write one).
    static func writeTwoIdentityPKCS12(to path: String, identities: [(cert: String, key: String, name: String)]) {
        var bags: OpaquePointer? = nil
        for (index, identity) in identities.enumerated() {
            let certBIO = BIO_new_file(identity.cert, "r")
            let keyBIO = BIO_new_file(identity.key, "r")
            let cert = PEM_read_bio_X509(certBIO, nil, nil, nil)
            let key = PEM_read_bio_PrivateKey(keyBIO, nil, nil, nil)
            BIO_free(certBIO)
            BIO_free(keyBIO)
            var keyID = [UInt8](repeating: UInt8(index + 1), count: 20)
            let certBag = PKCS12_add_cert(&bags, cert)
            PKCS12_add_friendlyname_asc(certBag, identity.name, -1)
            PKCS12_add_localkeyid(certBag, &keyID, 20)
            let keyBag = PKCS12_add_key(&bags, key, 0, 2048, NID_aes_256_cbc, password)
            PKCS12_add_friendlyname_asc(keyBag, identity.name, -1)
            PKCS12_add_localkeyid(keyBag, &keyID, 20)
            X509_free(cert)
            EVP_PKEY_free(key)
        }
        var safes: OpaquePointer? = nil
        PKCS12_add_safe(&safes, bags, -1, 2048, password)
        cinet_sk_bag_pop_free(bags)
        let p12 = PKCS12_add_safes(safes, 0)
        cinet_sk_pkcs7_pop_free(safes)
        PKCS12_set_mac(p12, password, -1, nil, 0, 2048, nil)
        let out = BIO_new_file(path, "w")
        i2d_PKCS12_bio(out, p12)
        BIO_free(out)
        PKCS12_free(p12)
    }
}
