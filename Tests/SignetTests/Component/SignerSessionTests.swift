import Common
import Crypto
import Foundation
import Signing
import TestSupport
import Testing

@testable import Signer

/// A real `SignerSession` against a test-driven ROUTER socket playing the gateway: registration,
/// a signed job, re-registration after gateway silence with the un-ACKed result re-sent, and no
/// re-send once it is ACKed.
@Suite(.timeLimit(.minutes(2)))
struct SignerSessionTests {
    @Test func unackedResultsAreResentAfterTheGatewayGoesSilent() async throws {
        let context = ZMQContext()
        let router = try await ZMQChannel.open(
            context: context, kind: .router, options: [.linger(milliseconds: 0), .routerMandatory(true)],
            attach: .bind("tcp://127.0.0.1:*"))
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        let backend = ClientRecordingBackend(try LocalKeyBackend(keyPEM: keyPEM, chainPEM: certificatePEM))
        let session = SignerSession(
            configuration: .init(
                gateway: router.endpoint, signerID: "s1", slots: 2, heartbeatInterval: .milliseconds(100), liveness: 5,
                shutdownGrace: .seconds(1), exitWithParent: false),
            signer: DocumentSigner(backend: backend),
            context: context, logger: .init(label: "test"))
        let running = Task { try await session.run() }
        var inbound = Inbound(router.inbound.makeAsyncIterator())

        guard case .ready(let ready) = try await inbound.next() else { throw TestFailure("expected READY") }
        #expect(ready.credit == 2)
        #expect(ready.version == WireMessage.version)

        let content = Array("<Invoice/>".utf8)
        let job = WireMessage.Job(
            id: .init(operationID: "op", document: 0, attempt: 1), contentDigest: sha256Hex(content), name: "i.xml",
            contentType: "application/xml", signature: .init(signatureType: "CAdES"), clientService: "alice")
        router.send([Array("s1".utf8)] + WireMessage.job(job, body: content).encode())
        // Under load the signer may already have registered again; READYs are skipped here.
        guard case .result(let result, let signature) = try await inbound.next(skippingReady: true) else {
            throw TestFailure("expected RESULT")
        }
        #expect(result.signed && result.id == job.id)
        // The session signed as the job's client service.
        #expect(backend.clients == ["alice"])
        let workspace = try Workspace("session")
        let certificate = workspace.url("cert.pem")
        try certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        #expect(
            try await Tools.opensslVerifyDetached(
                signature: Data(signature), content: Data(content), trusting: certificate
            )
            .status == 0)

        // No ACK and no heartbeat from the "gateway": the signer registers again and re-sends.
        guard case .ready = try await inbound.next() else { throw TestFailure("expected READY after silence") }
        guard case .result(let resent, _) = try await inbound.next(skippingReady: true) else {
            throw TestFailure("expected the result again")
        }
        #expect(resent.id == job.id)

        // ACKed: the signer keeps registering again but stops re-sending the result. Under load a
        // re-send may still cross the ACK, so a window with a result is answered with another ACK;
        // a signer that never forgets would show the result in every window.
        router.send([Array("s1".utf8)] + WireMessage.ack(job.id).encode())
        var quietWindow = false
        for _ in 0..<8 where !quietWindow {
            let window = try await inbound.collect(for: .milliseconds(1200))
            let resentAgain = window.contains { if case .result = $0 { true } else { false } }
            if resentAgain { router.send([Array("s1".utf8)] + WireMessage.ack(job.id).encode()) }
            quietWindow = !resentAgain && window.contains { if case .ready = $0 { true } else { false } }
        }
        #expect(quietWindow, "the ACKed result kept being re-sent")

        running.cancel()
        _ = try? await running.value
        await router.close()
        context.terminate()
    }
}

/// The local key, recording for which client services it was asked to sign.
final class ClientRecordingBackend: SigningBackend {
    let local: LocalKeyBackend
    private let asked = Locked<[String]>([])

    init(_ local: LocalKeyBackend) { self.local = local }

    var clients: [String] { asked.withLock { $0 } }

    func identity(for client: String) async throws -> SigningIdentity { local.identity }
    func maxBatch(for client: String) async -> Int { 1 }
    func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        asked.withLock { $0.append(client) }
        return try await local.sign(digests, for: client)
    }
}

/// Decoded messages from the ROUTER, heartbeats skipped.
struct Inbound {
    var iterator: AsyncStream<[ZMQMessage]>.Iterator
    var pending: [WireMessage] = []

    init(_ iterator: AsyncStream<[ZMQMessage]>.Iterator) { self.iterator = iterator }

    /// The next message other than HEARTBEAT (and READY when `skippingReady`), or nil when
    /// `timeout` passes first.
    mutating func next(timeout: Duration = .seconds(10), skippingReady: Bool = false) async throws -> WireMessage? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if skippingReady { pending.removeAll { if case .ready = $0 { true } else { false } } }
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

    /// Every message other than HEARTBEAT received during `duration`.
    mutating func collect(for duration: Duration) async throws -> [WireMessage] {
        let deadline = ContinuousClock.now.advanced(by: duration)
        var messages = pending
        pending = []
        while ContinuousClock.now < deadline, let batch = await iterator.next() {
            for frames in batch {
                let message = try WireMessage.decode(frames.dropFirst())
                if message != .heartbeat { messages.append(message) }
            }
        }
        return messages
    }
}
