@testable import InetCore

/// `BufferedReader`'s framing (`FrameBuffer`) against a model that holds the same bytes in a
/// plain array and searches them naively: chunks arrive as the input says, and between them
/// frames are asked for (`read(until:)` with a 1–3 byte delimiter and a `maxBytes`, resumed with
/// the `scanned` count it returned) or taken (`read(exactly:)`). Every answer — frame, need
/// more, too long — and every byte held must be the model's.
enum FramingFuzz {
    enum Outcome: Equatable {
        case frame([UInt8])
        case needMore
        case tooLong
        case other(InetErrorCode)
    }

    static func firstMatch(_ delimiter: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= delimiter.count else { return nil }
        return (0...bytes.count - delimiter.count).first { Array(bytes[$0..<$0 + delimiter.count]) == delimiter }
    }

    static func run(_ input: inout FuzzInput) throws(FuzzFailure) {
        var buffer = FrameBuffer()
        var model: [UInt8] = []
        // An ongoing read(until:): its delimiter, limit and what it has scanned.
        var search: (delimiter: [UInt8], maxBytes: Int, scanned: Int)?
        var step = 0
        while !input.isEmpty, step < 256 {
            step += 1
            switch input.int(in: 0...3) {
            case 0, 1:
                // A chunk from a small alphabet, so delimiters occur.
                let chunk = input.bytes(upTo: 200).map { $0 % 4 == 0 ? 0x0A : $0 % 7 }
                buffer.append(chunk)
                model += chunk
            case 2:
                let n = input.int(in: 0...model.count)
                search = nil
                try check(buffer.take(n) == Array(model.prefix(n)), "take(\(n)) differs at step \(step)")
                model.removeFirst(n)
            default:
                let (delimiter, maxBytes, scanned) =
                    search
                    ?? (
                        (0..<input.int(in: 1...3)).map { _ in input.bool() ? 0x0A : input.byte() % 7 },
                        input.int(in: 0...300), 0
                    )
                let expected: Outcome
                if let end = firstMatch(delimiter, in: model) {
                    expected = end > maxBytes ? .tooLong : .frame(Array(model[..<end]))
                } else {
                    expected = model.count - (delimiter.count - 1) > maxBytes ? .tooLong : .needMore
                }
                let got: Outcome
                var known = 0
                do {
                    switch try buffer.frame(until: delimiter, maxBytes: maxBytes, scanned: scanned) {
                    case .frame(let frame): got = .frame(frame)
                    case .needMore(let scanned):
                        known = scanned
                        got = .needMore
                    }
                } catch {
                    got = error.code == .messageTooLong ? .tooLong : .other(error.code)
                }
                try check(
                    got == expected,
                    "frame(until: \(delimiter), maxBytes: \(maxBytes)) gave \(got), the model \(expected) at step \(step)"
                )
                switch got {
                case .frame(let frame):
                    model.removeFirst(frame.count + delimiter.count)
                    search = nil
                case .needMore:
                    try check(known <= model.count, "scanned \(known) of \(model.count) bytes")
                    search = (delimiter, maxBytes, known)
                case .tooLong, .other: search = nil
                }
            }
            try check(buffer.count == model.count, "\(buffer.count) bytes held, the model \(model.count)")
        }
        try check(buffer.take(buffer.count) == model, "the bytes held differ from the model's")
    }
}
