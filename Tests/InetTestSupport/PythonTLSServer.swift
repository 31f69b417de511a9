import Foundation

/// A one-connection TLS server in Python's `ssl` module (OpenSSL under CPython's own TLS code),
/// run over memory BIOs so the test decides exactly which ciphertext bytes reach the socket and
/// how it ends: with `close_notify`, with a bare TCP close after the last record, or with a TCP
/// close in the middle of a record.
public enum PythonTLSServer {
    /// How the server ends after its payload.
    public enum Ending: Sendable {
        /// `close_notify`, then FIN.
        case closeNotify
        /// FIN after the last whole record, no `close_notify`.
        case bareClose
        /// Only the first `n` bytes of ciphertext (handshake excluded), then FIN.
        case cutAfter(ciphertextBytes: Int)
    }

    static let script = #"""
        import socket, ssl, sys
        cert, key, total, mode, cut = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.num_tickets = 0
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        print("PORT", listener.getsockname()[1], "ready", flush=True)
        sock, _ = listener.accept()
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                if not data:
                    sys.exit("client left during the handshake")
                incoming.write(data)
        sock.sendall(outgoing.read())
        tls.write(bytes(i % 251 for i in range(total)))
        records = outgoing.read()
        if mode == "cut":
            sock.sendall(records[:cut])
        else:
            sock.sendall(records)
        if mode == "close_notify":
            try:
                tls.unwrap()
            except ssl.SSLWantReadError:
                pass
            sock.sendall(outgoing.read())
        sock.shutdown(socket.SHUT_WR)
        print("SENT", len(records), flush=True)
        sock.settimeout(10)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()
        """#

    /// Starts the server with the test CA's localhost certificate; it sends `total` bytes
    /// (`i % 251`) and ends as `ending` says.
    public static func start(sending total: Int, ending: Ending) throws -> (Peer, Int) {
        let path = TestCertificates.directory + "/tls_server.py"
        if !FileManager.default.fileExists(atPath: path) {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let (mode, cut): (String, Int) =
            switch ending {
            case .closeNotify: ("close_notify", 0)
            case .bareClose: ("bare", 0)
            case .cutAfter(let n): ("cut", n)
            }
        let peer = try Peer([
            "python3", path, TestCertificates.path("server.pem"), TestCertificates.path("server.key"),
            String(total), mode, String(cut),
        ])
        // "ready" ends the line: a line holding it holds the whole port number.
        let line = try peer.waitForStdout(containing: " ready")
        guard let port = Int(line.split(separator: " ")[1]) else { throw PeerError("no port in '\(line)'") }
        return (peer, port)
    }

    /// The bytes the server sends: `i % 251` for i in 0..<count.
    public static func payload(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }
}
