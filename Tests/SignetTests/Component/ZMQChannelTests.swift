import Common
import Foundation
import TestSupport
import Testing

/// Real libzmq sockets over loopback TCP, through the channel bridge.
@Suite(.timeLimit(.minutes(2)))
struct ZMQChannelTests {
    @Test func routerAndDealerExchangeManyMessagesAndCloseCleanly() async throws {
        let context = ZMQContext()
        let router = try await ZMQChannel.open(
            context: context, kind: .router, options: [.linger(milliseconds: 0), .routerMandatory(true)],
            attach: .bind("tcp://127.0.0.1:*"))
        #expect(router.endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try await ZMQChannel.open(
            context: context, kind: .dealer, options: [.linger(milliseconds: 0), .routingID(Array("d1".utf8))],
            attach: .connect(router.endpoint))
        let count = 20_000
        dealer.send(contentsOf: (0..<count).map { [WireMessage.tag, Array("\($0)".utf8)] })
        let inbound = router.inbound
        let (identity, received) = try await withTimeout(.seconds(30), "20,000 messages") {
            var received = 0
            var identity: [UInt8] = []
            var lastNumber = -1
            for await batch in inbound {
                for message in batch {
                    identity = message[0]
                    let number = Int(String(decoding: message[2], as: UTF8.self)) ?? -2
                    #expect(number == lastNumber + 1)  // in order, none lost
                    lastNumber = number
                    received += 1
                }
                if received == count { break }
            }
            return (identity, received)
        }
        #expect(received == count)
        #expect(identity == Array("d1".utf8))
        // And back, addressed by routing id.
        router.send([identity, Array("pong".utf8)])
        let replies = dealer.inbound
        let reply = try await withTimeout(.seconds(10), "the reply") {
            for await batch in replies { return batch[0] }
            return []
        }
        #expect(reply == [Array("pong".utf8)])
        await dealer.close()
        await router.close()
        context.terminate()  // returns only because every socket is closed
    }

    @Test func bindingATakenEndpointFails() async throws {
        let context = ZMQContext()
        let first = try await ZMQChannel.open(
            context: context, kind: .router, options: [.linger(milliseconds: 0)], attach: .bind("tcp://127.0.0.1:*"))
        await #expect(throws: ZMQError.self) {
            _ = try await ZMQChannel.open(
                context: context, kind: .router, options: [.linger(milliseconds: 0)], attach: .bind(first.endpoint))
        }
        await first.close()
        context.terminate()
    }

    /// One ROUTER, two endpoints: CURVE on TCP, and a Unix socket bound after `.noSecurity`
    /// (the gateway's local signers). Each endpoint keeps the options it was bound with: a plain
    /// peer gets in over the socket and never over TCP, a CURVE peer gets in over TCP.
    @Test func anEndpointBoundAfterNoSecurityLeavesTheEarlierOneCURVE() async throws {
        let workspace = try Workspace("zmq-ipc")
        let server = try CurveKeyPair.generate()
        let context = ZMQContext()
        let socket = "ipc://" + workspace.path("signers.ipc")
        let router = try await ZMQChannel.open(
            context: context, kind: .router,
            options: [.linger(milliseconds: 0), .curveServer(secretKey: server.secretKey)],
            attach: .bind("tcp://127.0.0.1:*"), alsoBind: [.init(socket, options: [.noSecurity])])
        #expect(FileManager.default.fileExists(atPath: workspace.path("signers.ipc")))
        func dealer(_ name: String, _ endpoint: String, curve: Bool) async throws -> ZMQChannel {
            let options: [ZMQSocket.Option] =
                [.linger(milliseconds: 0), .routingID(Array(name.utf8))]
                + (curve ? [.curveClient(serverKey: server.publicKey, keys: try CurveKeyPair.generate())] : [])
            let channel = try await ZMQChannel.open(
                context: context, kind: .dealer, options: options, attach: .connect(endpoint))
            channel.send([Array(name.utf8)])
            return channel
        }
        let plainOverTCP = try await dealer("plain-tcp", router.endpoint, curve: false)
        let plainOverSocket = try await dealer("plain-ipc", socket, curve: false)
        let curveOverTCP = try await dealer("curve-tcp", router.endpoint, curve: true)
        let inbound = router.inbound
        let heard = try await withTimeout(.seconds(30), "both admitted peers") {
            var heard: Set<String> = []
            for await batch in inbound {
                for message in batch { heard.insert(String(decoding: message[0], as: UTF8.self)) }
                if heard.count >= 2 { break }
            }
            return heard
        }
        #expect(heard == ["plain-ipc", "curve-tcp"])
        // The plain TCP peer keeps knocking; half a second later the CURVE peer sends a marker:
        // nothing from the plain peer comes before it.
        plainOverTCP.send([Array("again".utf8)])
        try await Task.sleep(for: .milliseconds(500))
        curveOverTCP.send([Array("marker".utf8)])
        let before = try await withTimeout(.seconds(10), "the marker") {
            var senders: [String] = []
            for await batch in inbound {
                for message in batch { senders.append(String(decoding: message[0], as: UTF8.self)) }
                if senders.last == "curve-tcp" { break }
            }
            return senders
        }
        #expect(before == ["curve-tcp"])
        // And back over the socket, addressed by routing id.
        router.send([Array("plain-ipc".utf8), Array("ping".utf8)])
        let replies = plainOverSocket.inbound
        let reply = try await withTimeout(.seconds(10), "the reply over the socket") {
            for await batch in replies { return batch[0] }
            return []
        }
        #expect(reply == [Array("ping".utf8)])
        for channel in [plainOverTCP, plainOverSocket, curveOverTCP, router] { await channel.close() }
        context.terminate()
        withExtendedLifetime(workspace) {}
    }
}
