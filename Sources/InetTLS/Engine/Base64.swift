/// Base64 without Foundation (pins only).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n =
                (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8)
                | UInt32(chunk.count > 2 ? chunk[2] : 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(chunk.count > 1 ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(chunk.count > 2 ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let index = alphabet.firstIndex(of: byte) else { return nil }
            values.append(UInt8(index))
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            let a = UInt32(values[i])
            let b = UInt32(values[i + 1])
            let c = i + 2 < values.count ? UInt32(values[i + 2]) : 0
            let d = i + 3 < values.count ? UInt32(values[i + 3]) : 0
            let n = (a << 18) | (b << 12) | (c << 6) | d
            out.append(UInt8(n >> 16 & 255))
            if i + 2 < values.count { out.append(UInt8(n >> 8 & 255)) }
            if i + 3 < values.count { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
