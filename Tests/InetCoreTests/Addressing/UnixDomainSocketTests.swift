import CInetLinux
import Foundation
import Glibc
import InetTestSupport
import Testing
@testable import InetCore

/// Unix domain sockets (issue 14): `Connector(unixDomainSocketPath:)` and
/// `Listener(unixDomainSocketPath:)` in the async and blocking styles, against socat as client
/// and as server, and every error a path can give (too long, missing, permission, stale, busy).
@Suite(.serialized, .timeLimit(.minutes(2))) struct UnixDomainSocketTests {
    /// A fresh directory for socket files (removed by `cleanUp`).
    static func directory() throws -> String {
        var template = Array("/tmp/inet-uds-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PeerError("mkdtemp failed") }
        return String(cString: made)
    }

    static func cleanUp(_ directory: String) { _ = try? Peer.run(["rm", "-rf", directory]) }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    @Test func ourListenerEchoesSocatAndRemovesItsFile() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/echo.sock"
        let listener = try Listener(unixDomainSocketPath: path)
        #expect(listener.localAddress.family == .unix)
        #expect(listener.localAddress.description == "unix:\(path)")
        #expect(Self.exists(path))
        let client = try Peer(["socat", "-t", "0.2", "-", "UNIX-CONNECT:\(path)"], stdin: true)
        let connection = try await listener.accept(timeout: .seconds(10))
        #expect(connection.remoteAddress.family == .unix)  // an unnamed client: "unix:"
        client.send(Array("ping over unix\n".utf8))
        var reader = connection.bufferedReader()
        #expect(try await reader.readLine(timeout: .seconds(10)) == "ping over unix")
        try await connection.write("pong\n")
        #expect(try client.waitForStdout(containing: "pong").contains("pong"))
        client.closeInput()
        #expect(try await reader.readLine(timeout: .seconds(10)) == nil)  // socat's end of stream
        try await connection.close()
        #expect(try client.finish() == 0)
        await listener.close()
        #expect(!Self.exists(path))  // the listener's file is gone with it
    }

    @Test func connectorTalksToASocatServer() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/socat.sock"
        let server = try Peer(["socat", "-d", "-d", "-b", "4096", "UNIX-LISTEN:\(path)", "PIPE"])
        _ = try server.waitForStderr(containing: "listening on")
        let connection = try await Connector(unixDomainSocketPath: path).connect()
        #expect(connection.remoteAddress.description == "unix:\(path)")
        #expect(connection.host == path)
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await connection.write(payload)
        var reader = connection.bufferedReader()
        #expect(try await reader.read(exactly: payload.count, timeout: .seconds(10)) == payload)
        try await connection.close()
        #expect(try server.finish() == 0)
    }

    @Test func blockingConnectAndAcceptOnWorkerThreads() throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/blocking.sock"
        let listener = try Listener(unixDomainSocketPath: path)
        let served = Locked<Result<Int, InetError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(InetError) {
                let connection = try listener.blocking.accept(timeout: .seconds(10))
                let line = try connection.blocking.read(timeout: .seconds(10))
                try connection.blocking.write(Array(line.reversed()))
                try connection.blocking.close()
                served.withLock { $0 = .success(line.count) }
            } catch {
                served.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        let connection = try Connector(unixDomainSocketPath: path).blocking.connect()
        try connection.blocking.write(Array("abc".utf8))
        let reply = try connection.blocking.read(timeout: .seconds(10))
        try connection.blocking.close()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(try served.withLock { $0 }?.get() == 3)
        #expect(reply == Array("cba".utf8))
        try listener.blocking.close()
        #expect(!Self.exists(path))
    }

    @Test func aPathTooLongIsRefusedBeforeAnySocket() async throws {
        let long = "/tmp/" + String(repeating: "p", count: SocketAddress.maxUnixPathLength)
        #expect(SocketAddress.maxUnixPathLength == 107)
        await #expect { _ = try await Connector(unixDomainSocketPath: long).connect() } throws: { error in
            let error = error as? InetError
            return error?.code == .invalidAddress && error?.message.contains("at most 107") == true
        }
        #expect { _ = try Listener(unixDomainSocketPath: long) } throws: { ($0 as? InetError)?.code == .invalidAddress }
        #expect { _ = try Listener(unixDomainSocketPath: "") } throws: { ($0 as? InetError)?.code == .invalidAddress }
        #expect { _ = try SocketAddress(unixDomainSocketPath: "a\u{0}b") } throws: {
            ($0 as? InetError)?.message.contains("NUL") == true
        }
    }

    @Test func optionsThatNeedIPAreRefused() async throws {
        for options: InetOptions in [[.noDelay], [.keepAlive], [.secure], [.noInherit, .preferIPv6]] {
            #expect(throws: InetError.self) {
                try Connector(unixDomainSocketPath: "/tmp/x.sock", options: options).validate()
            }
        }
        var udp = Connector(unixDomainSocketPath: "/tmp/x.sock")
        udp.protocol = .udp
        #expect { try udp.validate() } throws: { ($0 as? InetError)?.message.contains("only stream sockets") == true }
        #expect { _ = try Listener(unixDomainSocketPath: "/tmp/x.sock", options: [.noDelay]) } throws: {
            ($0 as? InetError)?.code == .invalidOptions
        }
    }

    @Test func aMissingSocketFileIsAddressNotAvailable() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        for path in [dir + "/none.sock", dir + "/no-such-dir/x.sock"] {
            await #expect { _ = try await Connector(unixDomainSocketPath: path).connect() } throws: { error in
                let error = error as? InetError
                return error?.code == .addressNotAvailable
                    && error?.message.contains("no socket file at \(path)") == true
            }
        }
        #expect { _ = try Listener(unixDomainSocketPath: dir + "/no-such-dir/x.sock") } throws: {
            ($0 as? InetError)?.code == .addressNotAvailable
        }
    }

    @Test func aStaleSocketFileIsRefusedToClientsAndReplacedByAListener() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/stale.sock"
        // A socket file whose listener is gone: bound, never unlinked, closed.
        let descriptor = try SocketDescriptor(family: .unix, protocol: .tcp, closeOnExec: true)
        try descriptor.bind(try SocketAddress(unixDomainSocketPath: path))
        _ = consume descriptor
        #expect(Self.exists(path))
        await #expect { _ = try await Connector(unixDomainSocketPath: path).connect() } throws: { error in
            let error = error as? InetError
            return error?.code == .connectionRefused && error?.message.contains("stale socket file") == true
        }
        #expect { _ = try Listener(unixDomainSocketPath: path, removeStaleSocketFile: false) } throws: {
            ($0 as? InetError)?.code == .addressInUse && ($0 as? InetError)?.message.contains("stale") == true
        }
        let listener = try Listener(unixDomainSocketPath: path)  // replaces the stale file
        let client = try await Connector(unixDomainSocketPath: path).connect()
        let accepted = try await listener.accept(timeout: .seconds(10))
        try await client.write("x")
        #expect(try await accepted.read(timeout: .seconds(10)) == [0x78])
        try await client.close()
        try await accepted.close()
        await listener.close()
    }

    @Test func aLiveListenersPathAndAnOrdinaryFileAreNeverTaken() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/live.sock"
        let first = try Listener(unixDomainSocketPath: path)
        #expect { _ = try Listener(unixDomainSocketPath: path) } throws: {
            ($0 as? InetError)?.code == .addressInUse
                && ($0 as? InetError)?.message.contains("another listener") == true
        }
        #expect(Self.exists(path))  // the first one's file is untouched…
        let client = try await Connector(unixDomainSocketPath: path).connect()  // …and still serves
        _ = try await first.accept(timeout: .seconds(10))
        try await client.close()
        await first.close()
        let file = dir + "/plain-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("keep me".utf8)))
        #expect { _ = try Listener(unixDomainSocketPath: file) } throws: {
            ($0 as? InetError)?.code == .addressInUse && ($0 as? InetError)?.message.contains("is not a socket") == true
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me")
    }

    @Test func noPermissionIsPermissionDenied() async throws {
        let dir = try Self.directory()
        defer { Self.cleanUp(dir) }
        let path = dir + "/private.sock"
        let listener = try Listener(unixDomainSocketPath: path, permissions: 0o600)
        // The tests run as root, which no mode bit stops: the connecting loop's thread takes the
        // file-system identity of `nobody` (setfsuid is per thread; it drops the DAC override).
        let group = try EventLoopGroup(loopCount: 1)
        let loop = group.next()
        let identity = await withTaskExecutorPreference(loop) { () -> Int32 in
            #expect(loop.inEventLoop)
            ThreadIdentity.setFileSystemUID(65534)
            return ThreadIdentity.setFileSystemUID(UInt32.max)  // -1 changes nothing and returns the current one
        }
        #expect(identity == 65534)
        var connector = Connector(unixDomainSocketPath: path)
        connector.group = group
        await #expect { _ = try await connector.connect() } throws: { error in
            let error = error as? InetError
            return error?.code == .permissionDenied && error?.message.contains("no permission for \(path)") == true
        }
        _ = await withTaskExecutorPreference(loop) { ThreadIdentity.setFileSystemUID(0) }
        try await group.shutdown()
        await listener.close()
    }
}
