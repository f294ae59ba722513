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
        /// The gateway's public key and this signer's key pair, for a CURVE endpoint.
        var curve: (serverKey: String, keys: CurveKeyPair)? = nil
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
    /// The gateway answered the draining READY: no JOB is on its way any more.
    private var drainConfirmed = false
    /// Results sent and not yet ACKed, re-sent (marked `resent`) after registering again.
    private var unacked: [WireMessage.JobID: (result: WireMessage.Result, body: [UInt8])] = [:]
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

    /// Connects, serves until the gateway goes silent, and connects again with a new socket (the
    /// Paranoid Pirate worker of the ZeroMQ guide): libzmq gives up on a connection whose
    /// handshake failed (a key not yet authorized), so only a new socket tries again. Un-ACKed
    /// results survive the reconnection and are re-sent.
    func run() async throws {
        await withGracefulShutdownHandler {
            while !draining && !Task.isCancelled {
                let channel: ZMQChannel
                do {
                    channel = try await connect()
                } catch {
                    logger.error("cannot connect to the gateway", metadata: ["error": "\(error)"])
                    try? await clock.sleep(for: configuration.heartbeatInterval * configuration.liveness)
                    continue
                }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.receiveLoop(channel) }
                    group.addTask { await self.tickLoop() }
                    await group.next()
                    group.cancelAll()
                }
                if !draining { await channel.close() }
            }
        } onGracefulShutdown: {
            Task { await self.drain() }
        }
        await channel?.close()
        channel = nil
    }

    private func connect() async throws -> ZMQChannel {
        let channel = try await ZMQChannel.open(
            context: context, kind: .dealer,
            options: [
                // Long enough for the last RESULTs and the DISCONNECT to leave at shutdown.
                .linger(milliseconds: 1000), .routingID(Array(configuration.signerID.utf8)),
                .reconnectInterval(milliseconds: 100), .reconnectIntervalMax(milliseconds: 2000),
            ] + (configuration.curve.map { [.curveClient(serverKey: $0.serverKey, keys: $0.keys)] } ?? []),
            attach: .connect(configuration.gateway), name: "signer-dealer")
        self.channel = channel
        register()
        logger.info(
            "signer connecting",
            metadata: ["zmq.endpoint": "\(configuration.gateway)", "signer.slots": "\(configuration.slots)"])
        return channel
    }

    private var freeCredit: Int { draining ? 0 : max(0, configuration.slots - busy) }

    /// READY with the credit free now, then every result still waiting for its ACK.
    private func register() {
        send(
            .ready(
                .init(
                    signerID: configuration.signerID, credit: freeCredit, pid: getpid(),
                    host: ProcessInfo.processInfo.hostName, draining: draining)))
        for (result, body) in unacked.values {
            var again = result
            again.resent = true
            send(.result(again, body: body))
        }
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
                case .drained:
                    drainConfirmed = true
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
            let (result, signed) = await Self.sign(job, body: body, with: signer)
            self.finish(result, body: signed)
        }
    }

    /// Signs one document; every failure becomes a RESULT with its code, never a crash.
    private static func sign(_ job: WireMessage.Job, body: [UInt8], with signer: DocumentSigner) async -> (
        WireMessage.Result, [UInt8]
    ) {
        do {
            let signed = try await signer.sign(
                body, parameters: job.signature, client: job.clientService ?? "", expectedDigest: job.contentDigest,
                contentType: job.contentType)
            var result = WireMessage.Result(job: job, signed: true)
            // An incremental update keeps the body as its exact prefix: the gateway, which has
            // the document, is sent only what was appended, when it asked for that.
            if job.takesAppendedResult, job.signature.signatureType.uppercased() == "PADES",
                signed.count > body.count, SignatureCheck.startsWith(signed, body)
            {
                result.appended = true
                return (result, Array(signed[body.count...]))
            }
            return (result, signed)
        } catch let error as SigningError {
            let result = WireMessage.Result(
                job: job, signed: false, signError: error.code, errorMessage: error.message,
                retryAfter: error.retryAfter.map { Double($0.nanoseconds) / 1e9 })
            return (result, [])
        } catch {
            return (.init(job: job, signed: false, signError: "SIGNING_FAILED", errorMessage: "\(error)"), [])
        }
    }

    private func finish(_ result: WireMessage.Result, body: [UInt8]) {
        busy -= 1
        unacked[result.id] = (result, body)
        send(.result(result, body: body))
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            try? await clock.sleep(for: configuration.heartbeatInterval / 2)
            let now = clock.now
            if configuration.exitWithParent && getppid() != parentPID {
                logger.warning("parent gateway is gone; exiting")
                exit(0)
            }
            if lastHeard.duration(to: now) > configuration.heartbeatInterval * configuration.liveness && !draining {
                logger.notice("gateway silent; connecting again")
                return
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
                    signerID: configuration.signerID, credit: 0, pid: getpid(), host: ProcessInfo.processInfo.hostName,
                    draining: true)))
        // JOBs the gateway sent before it read the draining READY are still on their way until
        // its DRAINED answer arrives (ZeroMQ keeps order); they are signed too.
        let deadline = clock.now.advanced(by: configuration.shutdownGrace)
        while (!drainConfirmed || busy > 0 || !unacked.isEmpty) && clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(20))
        }
        send(.disconnect(reason: "shutting down"))
        logger.info("signer stopped", metadata: ["signer.unacked": "\(unacked.count)"])
        await channel?.close()
    }
}
