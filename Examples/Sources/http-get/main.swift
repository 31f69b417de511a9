// http-get: fetches paths over one keep-alive HTTP/1.1 connection, with TLS.
//
//     http-get [--ca-file FILE] HOST PORT PATH...
//
// For each path it prints the status, how the body was framed (Content-Length or chunked), its
// size and an FNV-1a checksum. The certificate and host name are verified (against FILE's roots
// when given, else the system's).
import Glibc
import Inet

/// One HTTP response: status, headers (names lowercased) and body.
struct Response {
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var framing = ""
}

enum HTTPError: Error, CustomStringConvertible {
    case malformed(String)
    var description: String {
        switch self {
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}

/// Reads one response from `reader`: the status line, headers, then the body as they frame it.
func readResponse(_ reader: inout BufferedReader) async throws -> Response {
    var response = Response()
    guard let statusLine = try await reader.readLine(maxBytes: 8192) else {
        throw HTTPError.malformed("the server closed before a status line")
    }
    let parts = statusLine.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
        throw HTTPError.malformed("status line '\(statusLine)'")
    }
    response.status = status
    while let line = try await reader.readLine(maxBytes: 8192), !line.isEmpty {
        guard let colon = line.firstIndex(of: ":") else { throw HTTPError.malformed("header '\(line)'") }
        let name = line[..<colon].lowercased()
        response.headers[name] = line[line.index(after: colon)...].trimmingSpaces
    }
    if response.headers["transfer-encoding"]?.lowercased() == "chunked" {
        response.framing = "chunked"
        while true {
            // A chunk: its size in hex (extensions after ';' ignored), CRLF, the bytes, CRLF.
            guard let sizeLine = try await reader.readLine(maxBytes: 1024),
                let size = Int(sizeLine.split(separator: ";")[0].trimmingSpaces, radix: 16)
            else { throw HTTPError.malformed("chunk size") }
            if size == 0 { break }
            response.body += try await reader.read(exactly: size)
            guard try await reader.read(exactly: 2) == [13, 10] else { throw HTTPError.malformed("chunk end") }
        }
        while let trailer = try await reader.readLine(maxBytes: 8192), !trailer.isEmpty {}
    } else if let length = response.headers["content-length"].flatMap({ Int($0) }) {
        response.framing = "content-length"
        response.body = try await reader.read(exactly: length)
    } else {
        response.framing = "until close"
        while case let chunk = try await reader.read(), !chunk.isEmpty { response.body += chunk }
    }
    return response
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var credentials = SecurityCredentials()
if arguments.first == "--ca-file", arguments.count > 1 {
    credentials.trustRootsFile = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.count >= 3, let port = Int(arguments[1]) else {
    print("usage: http-get [--ca-file FILE] HOST PORT PATH...")
    exit(2)
}
let host = arguments[0]
let paths = arguments[2...]

do {
    var connector = Connector(host: host, port: port, timeout: .seconds(10), options: [.secure])
    connector.credentials = credentials
    let connection = try await connector.connect()
    print("connected to \(connection.remoteAddress) with \(connection.tls.map { "\($0.version)" } ?? "no TLS")")
    var reader = connection.bufferedReader()
    for (index, path) in paths.enumerated() {
        let last = index == paths.count - 1
        try await connection.write(
            "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: \(last ? "close" : "keep-alive")\r\n\r\n")
        let response = try await readResponse(&reader)
        let checksum = String(fnv1a(response.body), radix: 16)
        print("GET \(path) \(response.status) \(response.framing) \(response.body.count) bytes fnv1a=\(checksum)")
        if response.headers["connection"]?.lowercased() == "close", !last {
            print("the server closed the connection early")
            exit(1)
        }
    }
    try await connection.close()
} catch {
    print("http-get: \(error)")
    exit(1)
}
