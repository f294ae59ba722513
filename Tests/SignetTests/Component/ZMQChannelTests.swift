import Common
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
}
