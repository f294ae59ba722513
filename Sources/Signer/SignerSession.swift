import Common
import Foundation
import Logging
import ServiceLifecycle
import Signing

/// One signer's connection to one gateway (docs/protocol.md): registers with its credit, signs
/// the jobs it receives, keeps each result until it is ACKed, heartbeats, re-registers when the
/// gateway goes silent, and drains on shutdown.
actor SignerSession: Service {
    struct Configuration: Sendable {
        var gateway: String
        var signerID: String
        var slots: Int
        var heartbeatInterval: Duration
        var liveness: Int
        var shutdownGrace: Duration
        var exitWithParent: Bool
    }

    private let configuration: Configuration
    private let signer: DocumentSigner
    private let context: ZMQContext
    private let logger: Logger
    private let clock = ContinuousClock()
    private let parentPID = getppid()

    private var channel: ZMQChannel?
    private var busy = 0
    private var draining = false
    private var unacked: [WireMessage.JobID: ZMQMessage] = [:]
    private var lastHeard: ContinuousClock.Instant
    private var lastSent: ContinuousClock.Instant

    init(configuration: Configuration, signer: DocumentSigner, context: ZMQContext, logger: Logger) {
        self.configuration = configuration
        self.signer = signer
        self.context = context
        var logger = logger
        logger[metadataKey: "signer.id"] = "\(configuration.signerID)"
        self.logger = logger
        self.lastHeard = clock.now
        self.lastSent = clock.now
    }

    func run() async throws {
        let channel = try await ZMQChannel.open(
            context: context, kind: .dealer,
            options: [
                .linger(milliseconds: 0), .routingID(Array(configuration.signerID.utf8)),
                .reconnectInterval(milliseconds: 100), .reconnectIntervalMax(milliseconds: 2000),
            ],
            attach: .connect(configuration.gateway), name: "signer-dealer")
        self.channel = channel
        register()
        logger.info(
            "signer connecting",
            metadata: ["zmq.endpoint": "\(configuration.gateway)", "signer.slots": "\(configuration.slots)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.receiveLoop(channel) }
                group.addTask { await self.tickLoop() }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await self.drain() }
        }
        await channel.close()
        self.channel = nil
    }

    private var freeCredit: Int { draining ? 0 : max(0, configuration.slots - busy) }

    /// READY with the credit free now, then every result still waiting for its ACK.
    private func register() {
        send(
            .ready(
                .init(
                    signerID: configuration.signerID, credit: freeCredit, pid: getpid(),
                    host: ProcessInfo.processInfo.hostName)))
        for message in unacked.values { channel?.send(message); lastSent = clock.now }
        lastHeard = clock.now
    }

    private func send(_ message: WireMessage) {
        channel?.send(message.encode())
        lastSent = clock.now
    }

    private func receiveLoop(_ channel: ZMQChannel) async {
        for await batch in channel.inbound {
            lastHeard = clock.now
            for frames in batch {
                guard let message = try? WireMessage.decode(frames[...]) else {
                    logger.warning("undecodable gateway message")
                    continue
                }
                switch message {
                case .job(let job, let body):
                    start(job, body: body)
                case .ack(let id):
                    unacked[id] = nil
                case .disconnect(let reason):
                    logger.notice("gateway asked to re-register", metadata: ["reason": "\(reason)"])
                    register()
                case .heartbeat, .ready, .result:
                    break
                }
            }
        }
    }

    private func start(_ job: WireMessage.Job, body: [UInt8]) {
        busy += 1
        let signer = self.signer
        Task {
            let result = await Self.sign(job, body: body, with: signer)
            self.finish(job.id, message: result)
        }
    }

    /// Signs one document; every failure becomes a RESULT with its code, never a crash.
    private static func sign(_ job: WireMessage.Job, body: [UInt8], with signer: DocumentSigner) async -> WireMessage {
        do {
            let signed = try await signer.sign(body, parameters: job.signature, expectedDigest: job.contentDigest)
            return .result(.init(job: job, signed: true), body: signed)
        } catch let error as SigningError {
            return .result(.init(job: job, signed: false, signError: error.code, errorMessage: error.message), body: [])
        } catch {
            return .result(
                .init(job: job, signed: false, signError: "SIGNING_FAILED", errorMessage: "\(error)"), body: [])
        }
    }

    private func finish(_ id: WireMessage.JobID, message: WireMessage) {
        busy -= 1
        let frames = message.encode()
        unacked[id] = frames
        channel?.send(frames)
        lastSent = clock.now
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            try? await clock.sleep(for: configuration.heartbeatInterval / 2)
            let now = clock.now
            if configuration.exitWithParent && getppid() != parentPID {
                logger.warning("parent gateway is gone; exiting")
                exit(0)
            }
            if lastHeard.duration(to: now) > configuration.heartbeatInterval * configuration.liveness {
                logger.notice("gateway silent; registering again")
                register()
            } else if lastSent.duration(to: now) >= configuration.heartbeatInterval {
                send(.heartbeat)
            }
        }
    }

    /// Graceful shutdown: take no more work, finish what is held, wait for ACKs, say goodbye.
    private func drain() async {
        draining = true
        send(
            .ready(
                .init(
                    signerID: configuration.signerID, credit: 0, pid: getpid(), host: ProcessInfo.processInfo.hostName))
        )
        let deadline = clock.now.advanced(by: configuration.shutdownGrace)
        while (busy > 0 || !unacked.isEmpty) && clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(20))
        }
        send(.disconnect(reason: "shutting down"))
        logger.info("signer stopped", metadata: ["signer.unacked": "\(unacked.count)"])
        // Give the DISCONNECT a moment on the wire (LINGER is 0).
        try? await clock.sleep(for: .milliseconds(50))
        await channel?.close()
    }
}
