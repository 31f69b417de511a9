@testable import InetEvents

/// `InetReadLine`'s framing (`Inet.takeLine`, as `readLine` runs it on each arriving chunk) and
/// `InetWriteLine`'s bytes. The stream is split into chunks where the input says: the lines must
/// be the ones the whole stream gives in one piece, none longer than `maxLength`, none holding
/// CR, LF or NUL, and every byte either in a line, a dropped CR/LF/NUL, or still buffered.
enum LineFuzz {
    static func lines(_ chunks: [[UInt8]], maxLength: Int) -> (lines: [[UInt8]], left: [UInt8]) {
        var buffer: [UInt8] = []
        var text: [UInt8] = []
        var lines: [[UInt8]] = []
        for chunk in chunks {
            buffer += chunk
            while Inet.takeLine(from: &buffer, into: &text, maxLength: maxLength) {
                lines.append(text)
                text = []
            }
        }
        return (lines, text + buffer)
    }

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        let maxLength = input.int(in: 1...80)
        let cuts = (0..<input.int(in: 0...16)).map { _ in input.int(in: 0...255) }
        let stream = input.rest()
        var chunks: [[UInt8]] = []
        var rest = stream[...]
        for cut in cuts where !rest.isEmpty {
            chunks.append(Array(rest.prefix(cut)))
            rest = rest.dropFirst(cut)
        }
        chunks.append(Array(rest))
        let whole = lines([stream], maxLength: maxLength)
        let split = lines(chunks, maxLength: maxLength)
        try check(split.lines == whole.lines, "lines depend on how the stream was split (\(cuts))")
        for line in split.lines {
            try check(line.count <= maxLength, "a line of \(line.count) bytes, maxLength \(maxLength)")
            try check(!line.contains(where: { [0x00, 0x0A, 0x0D].contains($0) }), "a line holds CR, LF or NUL")
        }
        let kept = split.lines.reduce(0) { $0 + $1.count } + split.left.filter { ![0, 0x0A, 0x0D].contains($0) }.count
        let payload = stream.filter { ![0, 0x0A, 0x0D].contains($0) }.count
        try check(kept == payload, "\(payload) text bytes went in, \(kept) came out or wait")

        let text = String(decoding: stream, as: UTF8.self)
        let sent = Inet.lineBytes(text)
        try check(sent.suffix(2) == [0x0D, 0x0A], "writeLine does not end with CRLF")
        let body = sent.dropLast(2)
        try check(!body.contains(0), "writeLine sent a NUL")
        // The text up to a NUL, its one line ending (CR LF, LF or CR) replaced by the CRLF.
        var expected = Array(text.utf8.prefix { $0 != 0 })
        if expected.last == 0x0A { expected.removeLast() }
        if expected.last == 0x0D { expected.removeLast() }
        try check(
            Array(body) == expected,
            "writeLine sent \(body.count) bytes before CRLF, not the \(expected.count) of the text")
        try check(Array(text.utf8).starts(with: body), "writeLine changed the text before its end")
    }
}
