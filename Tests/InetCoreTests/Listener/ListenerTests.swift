import Testing
@testable import InetCore

@Suite struct ListenerTests {
    @Test func portZeroReportsTheRealPort() throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        #expect(listener.localAddress.port != 0)
        #expect(listener.localAddress.ipAddress == "127.0.0.1")
    }

    @Test func afterCloseReturnsConnectsAreRefusedAndTheSequenceEnds() async throws {
        let listener = try Listener(address: "127.0.0.1", port: 0)
        let port = Int(listener.localAddress.port)
        _ = try await Connector(host: "127.0.0.1", port: port).connect()
        _ = try await listener.accept()
        let rest = Task { () -> Int in
            var count = 0
            for try await _ in listener.connections { count += 1 }
            return count
        }
        await listener.close()
        #expect(try await rest.value == 0)  // the sequence ends instead of waiting forever
        await #expect { _ = try await Connector(host: "127.0.0.1", port: port).connect() } throws: {
            ($0 as? InetError)?.code == .connectionRefused
        }
    }

    @Test func dualStackListenerAcceptsIPv4AndIPv6() async throws {
        try #require(AddressOrdering.machineHasIPv6, "needs IPv6")
        let listener = try Listener(address: "::", port: 0)
        let port = Int(listener.localAddress.port)
        let v4 = try await Connector(host: "127.0.0.1", port: port).connect()
        let v6 = try await Connector(host: "::1", port: port).connect()
        let first = try await listener.accept()
        let second = try await listener.accept()
        #expect(
            Set([first.remoteAddress.port, second.remoteAddress.port])
                == Set([v4.localAddress.port, v6.localAddress.port]))
    }

    @Test func portInUseIsAddressInUse() throws {
        let first = try Listener(address: "127.0.0.1", port: 0)
        #expect { _ = try Listener(address: "127.0.0.1", port: Int(first.localAddress.port)) } throws: {
            ($0 as? InetError)?.code == .addressInUse
        }
    }

    @Test func badListenerInputs() throws {
        #expect { _ = try Listener(address: "localhost", port: 0) } throws: {
            ($0 as? InetError)?.code == .invalidAddress
        }
        #expect { _ = try Listener(address: "127.0.0.1", port: 70000) } throws: {
            ($0 as? InetError)?.code == .invalidPort
        }
        #expect { _ = try Listener(address: "127.0.0.1", port: 0, backlog: -1) } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
        #expect { _ = try Listener(address: "127.0.0.1", port: 0, options: [.broadcast]) } throws: {
            ($0 as? InetError)?.code == .invalidOptions
        }
        #expect { _ = try Listener(address: "192.0.2.1", port: 0) } throws: {
            ($0 as? InetError)?.code == .addressNotAvailable
        }
        let udp = try Listener(address: "127.0.0.1", port: 0, protocol: .udp)
        #expect { _ = try udp.blocking.accept(timeout: .seconds(1)) } throws: {
            ($0 as? InetError)?.code == .invalidParameter
        }
        #expect { _ = try udp.blocking.receive(timeout: .milliseconds(20)) } throws: {
            ($0 as? InetError)?.code == .timedOut
        }
    }

    @Test func acceptedConnectionsSpreadOverTheGroupsLoops() async throws {
        let group = try EventLoopGroup(loopCount: 2)
        defer { try? group.shutdownFromDefer() }
        let listener = try Listener(address: "127.0.0.1", port: 0, group: group)
        var clients: [Connection] = []
        var loops = Set<ObjectIdentifier>()
        for _ in 0..<4 {
            clients.append(try await Connector(host: "127.0.0.1", port: Int(listener.localAddress.port)).connect())
            loops.insert(ObjectIdentifier(try await listener.accept().eventLoop))
        }
        #expect(loops.count == 2)
    }
}
