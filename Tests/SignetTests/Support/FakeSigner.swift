import Common
import TestSupport

/// A DEALER socket that speaks the signer protocol as the test tells it to. It heartbeats every
/// 100 ms on its own, as a live signer does, so the gateway never takes it for dead.
final class FakeSigner: Sendable {
    let id: String
    private let context = ZMQContext()
    private let channel: ZMQChannel
    private let heartbeats: Task<Void, Never>

    /// `keys` nil: a peer without CURVE; otherwise a CURVE client with that key pair.
    init(endpoint: String, id: String, serverKey: String, keys: CurveKeyPair?) async throws {
        self.id = id
        channel = try await ZMQChannel.open(
            context: context, kind: .dealer,
            options: [.linger(milliseconds: 1000), .routingID(Array(id.utf8))]
                + (keys.map { [.curveClient(serverKey: serverKey, keys: $0)] } ?? []),
            attach: .connect(endpoint))
        heartbeats = Task { [channel] in
            while !Task.isCancelled {
                channel.send(WireMessage.heartbeat.encode())
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func send(_ message: WireMessage) { channel.send(message.encode()) }

    /// The next JOB (heartbeats and other messages skipped); throws after `timeout`.
    func nextJob(timeout: Duration = .seconds(10)) async throws -> WireMessage.Job {
        try await nextJobWithBody(timeout: timeout).job
    }

    /// The next JOB with the document it carries.
    func nextJobWithBody(timeout: Duration = .seconds(10)) async throws -> (job: WireMessage.Job, body: [UInt8]) {
        let message = try await nextMessage(timeout: timeout) { if case .job = $0 { true } else { false } }
        guard case .job(let job, let body) = message else { throw TestFailure("not a JOB") }
        return (job, body)
    }

    /// Dies as a crashed process does: no more heartbeats, no DISCONNECT, the connection gone.
    func die() async {
        heartbeats.cancel()
        await channel.close()
        context.terminate()
    }

    /// The next message `matching` (others skipped); throws after `timeout`, which ends the
    /// inbound stream (a cancelled iteration finishes an `AsyncStream`).
    func nextMessage(timeout: Duration = .seconds(10), matching: @escaping @Sendable (WireMessage) -> Bool)
        async throws -> WireMessage
    {
        let inbound = channel.inbound
        return try await withTimeout(timeout, "a message for \(id)") {
            for await batch in inbound {
                for frames in batch {
                    let message = try WireMessage.decode(frames[...])
                    if matching(message) { return message }
                }
            }
            throw TestFailure("the channel closed")
        }
    }

    /// Closes after what was sent (the DISCONNECT) has left, within LINGER.
    func close() async {
        heartbeats.cancel()
        await channel.close()
        context.terminate()
    }
}
