import Common
import Foundation
import Signing
import Testing

@testable import Signer

/// A real `SignerSession` against a test-driven ROUTER socket playing the gateway: registration,
/// a signed job, re-registration after gateway silence with the un-ACKed result re-sent, and no
/// re-send once it is ACKed.
struct SignerSessionTests {
    @Test func unackedResultsAreResentAfterTheGatewayGoesSilent() async throws {
        let context = ZMQContext()
        let router = try await ZMQChannel.open(
            context: context, kind: .router, options: [.linger(milliseconds: 0), .routerMandatory(true)],
            attach: .bind("tcp://127.0.0.1:*"))
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let session = SignerSession(
            configuration: .init(
                gateway: router.endpoint, signerID: "s1", slots: 2, heartbeatInterval: .milliseconds(100), liveness: 3,
                shutdownGrace: .seconds(1), exitWithParent: false),
            signer: DocumentSigner(backend: try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM)),
            context: context, logger: .init(label: "test"))
        let running = Task { try await session.run() }
        var inbound = Inbound(router.inbound.makeAsyncIterator())

        guard case .ready(let ready) = try await inbound.next() else { throw TestFailure("expected READY") }
        #expect(ready.credit == 2)
        #expect(ready.version == WireMessage.version)

        let content = Array("<Invoice/>".utf8)
        let job = WireMessage.Job(
            id: .init(operationID: "op", document: 0, attempt: 1), contentDigest: sha256Hex(content), name: "i.xml",
            contentType: "application/xml", signature: .init(signatureType: "CAdES"))
        router.send([Array("s1".utf8)] + WireMessage.job(job, body: content).encode())
        guard case .result(let result, let signature) = try await inbound.next() else { throw TestFailure("expected RESULT") }
        #expect(result.signed && result.id == job.id)
        let certificate = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID()).pem")
        defer { try? FileManager.default.removeItem(at: certificate) }
        try certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        #expect(try Tools.opensslVerifyDetached(signature: Data(signature), content: Data(content), trusting: certificate).status == 0)

        // No ACK and no heartbeat from the "gateway": the signer registers again and re-sends.
        guard case .ready = try await inbound.next() else { throw TestFailure("expected READY after silence") }
        guard case .result(let resent, _) = try await inbound.next() else { throw TestFailure("expected the result again") }
        #expect(resent.id == job.id)

        // ACKed: the next re-registration comes without the result.
        router.send([Array("s1".utf8)] + WireMessage.ack(job.id).encode())
        guard case .ready = try await inbound.next() else { throw TestFailure("expected READY") }
        let after = try await inbound.next(timeout: .milliseconds(400))
        #expect(after == nil || { if case .result = after { false } else { true } }())

        running.cancel()
        _ = try? await running.value
        await router.close()
        context.terminate()
    }
}

/// Decoded messages from the ROUTER, heartbeats skipped.
struct Inbound {
    var iterator: AsyncStream<[ZMQMessage]>.Iterator
    var pending: [WireMessage] = []

    init(_ iterator: AsyncStream<[ZMQMessage]>.Iterator) { self.iterator = iterator }

    /// The next message other than HEARTBEAT, or nil when `timeout` passes first.
    mutating func next(timeout: Duration = .seconds(5)) async throws -> WireMessage? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if !pending.isEmpty { return pending.removeFirst() }
            // The signer heartbeats every 100 ms, so the stream never stays quiet for long.
            guard let batch = await iterator.next() else { return nil }
            for frames in batch {
                let message = try WireMessage.decode(frames.dropFirst())
                if message != .heartbeat { pending.append(message) }
            }
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }
}
