// chat-server: a line chat server on Inet's async API, run under ServiceLifecycle.
//
//     chat-server [PORT]
//
// Every line a client sends goes to every other client as "NAME: line"; "/quit" leaves. Each
// client is served by a task on its connection's own event loop (`ListenerService`); SIGTERM
// stops accepting, lets connected clients finish for up to 5 s, then closes the rest.
import Glibc
import Inet
import InetServiceLifecycle
import Logging
import ServiceLifecycle

/// Who is in the room. An actor: handlers on different loops join, leave and look it up.
actor Room {
    private var members: [ObjectIdentifier: Connection] = [:]
    private var joined = 0
    private(set) var relayed = 0

    /// Adds `connection`; returns the name it gets.
    func join(_ connection: Connection) -> String {
        joined += 1
        members[ObjectIdentifier(connection)] = connection
        return "guest-\(joined)"
    }

    func leave(_ connection: Connection) { members[ObjectIdentifier(connection)] = nil }

    /// Everyone but `connection`, counting the line as relayed.
    func others(than connection: Connection) -> [Connection] {
        relayed += 1
        return members.values.filter { $0 !== connection }
    }

    var served: Int { joined }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 0 : 0
var logger = Logger(label: "chat-server")
logger.logLevel = .info

do {
    let listener = try Listener(address: "127.0.0.1", port: port)
    let room = Room()
    let service = ListenerService(listener: listener, gracePeriod: .seconds(5)) { connection in
        let name = await room.join(connection)
        defer { Task { await room.leave(connection) } }
        try await connection.write("welcome \(name)\n")
        for try await line in connection.lines {
            if line == "/quit" { break }
            for other in await room.others(than: connection) {
                // Writes return once queued; a client that stops reading is dropped after 5 s.
                do { try await other.write("\(name): \(line)\n", timeout: .seconds(5)) } catch {
                    try? await other.close()
                }
            }
        }
        try await connection.close()
    }
    print("chat-server listening on \(listener.localAddress)")
    fflush(nil)  // the CI script reads the port from this line
    let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    try await group.run()
    print("chat-server: stopped; served \(await room.served) clients, relayed \(await room.relayed) lines")
} catch {
    print("chat-server: \(error)")
    exit(1)
}
