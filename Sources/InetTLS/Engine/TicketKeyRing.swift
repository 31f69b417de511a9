import COpenSSL

/// A server's session-ticket keys (TLS 1.3 and 1.2 tickets): random, in memory only, never
/// written anywhere. The current key encrypts new tickets for one lifetime; then a fresh key
/// takes over and the old one still opens (and renews) the tickets it made for one more
/// lifetime. A ticket from before that is refused (a full handshake follows), so a stolen
/// ticket key opens at most two lifetimes of sessions (forward secrecy of resumption).
final class TicketKeyRing: Sendable {
    struct Key: Sendable {
        let name: [UInt8]  // 16 bytes, sent in the clear with the ticket
        let cipherKey: [UInt8]  // AES-256-CBC
        let macKey: [UInt8]  // HMAC-SHA256
        let made: ContinuousClock.Instant

        static func random() -> Key {
            func bytes(_ n: Int) -> [UInt8] {
                var out = [UInt8](repeating: 0, count: n)
                precondition(RAND_bytes(&out, Int32(n)) == 1, "OpenSSL's random generator failed")
                return out
            }
            return Key(name: bytes(16), cipherKey: bytes(32), macKey: bytes(32), made: .now)
        }
    }

    /// Newest first: the current key, then the previous one (when there is one).
    private let keys: Locked<[Key]>
    let lifetime: Duration

    init(lifetime: Duration) {
        self.lifetime = lifetime
        self.keys = Locked([Key.random()])
    }

    /// Starts a new current key now; the current one becomes the previous, the previous is dropped.
    func rotate() {
        let fresh = Key.random()
        keys.withLock { $0 = [fresh, $0[0]] }
    }

    /// The key to encrypt with, rotating first when the current one has served its lifetime.
    private func current() -> Key {
        let key = keys.withLock { $0[0] }
        guard ContinuousClock.now - key.made >= lifetime else { return key }
        rotate()
        return keys.withLock { $0[0] }
    }

    /// OpenSSL asks for a new ticket: name it, and set up the cipher and MAC with the current key.
    func encrypt(
        name: UnsafeMutablePointer<UInt8>, iv: UnsafeMutablePointer<UInt8>,
        _ cipher: OpaquePointer, _ mac: OpaquePointer
    ) -> Int32 {
        let key = current()
        key.name.withUnsafeBufferPointer { name.update(from: $0.baseAddress!, count: 16) }
        guard RAND_bytes(iv, 16) == 1,
            EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nil, key.cipherKey, iv) == 1,
            cinet_ticket_hmac_init(mac, key.macKey, key.macKey.count) == 1
        else { return -1 }
        return 1
    }

    /// OpenSSL got a ticket: 1 to accept it, 2 to accept and renew it (made by the previous
    /// key), 0 to refuse it (unknown or expired key: a full handshake follows).
    func decrypt(
        name: UnsafeMutablePointer<UInt8>, iv: UnsafeMutablePointer<UInt8>,
        _ cipher: OpaquePointer, _ mac: OpaquePointer
    ) -> Int32 {
        let keys = self.keys.withLock { $0 }
        let now = ContinuousClock.now
        guard
            let index = keys.firstIndex(where: { key in
                key.name.elementsEqual(UnsafeBufferPointer(start: name, count: 16))
            }),
            now - keys[index].made < lifetime * 2
        else { return 0 }
        let key = keys[index]
        guard EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nil, key.cipherKey, iv) == 1,
            cinet_ticket_hmac_init(mac, key.macKey, key.macKey.count) == 1
        else { return -1 }
        return index == 0 && now - key.made < lifetime ? 1 : 2
    }
}

extension TLSContext {
    /// Servers with session tickets: starts a new ticket key now (as the lifetime does on its
    /// own). Tickets of the key before it still resume — renewed — until the next rotation; older
    /// ones no longer do. Call it twice to make every earlier ticket useless.
    public func rotateTicketKeys() { ticketKeys?.rotate() }
}
