import Common
import Logging
import ServiceLifecycle
import Signing

/// The gateway's side of the signer protocol: binds the ROUTER socket, feeds what arrives to the
/// `Dispatcher` and performs its actions (send jobs, record results, ACK, heartbeats).
actor SignerHub: Service {
    struct Configuration: Sendable {
        var endpoint: String
        var dispatcher: Dispatcher<ContinuousClock.Instant>.Configuration
        var maxMessageBytes: Int64
        /// The endpoint's CURVE keys and who may connect (docs/protocol.md, "Authentication").
        var serverKeys: CurveKeyPair
        var keyring: SignerKeyring
        /// The local signers' Unix socket (`ipc://`), bound beside `endpoint` without CURVE:
        /// only this user can reach it (`GatewayConfiguration.localSignerSocket`).
        var localSocket: String? = nil
        /// What every signed result must be: a signature of its document by its client's identity.
        var identities: ResultIdentities
    }

    /// Whose signature a result must carry: the local key's, or (remote signing) the certificate
    /// pinned from the CSC service for the operation's client service.
    enum ResultIdentities: Sendable {
        case local(SignatureCheck)
        case remote(RemoteIdentities)

        func check(for client: String) async throws(SigningError) -> SignatureCheck {
            switch self {
            case .local(let check): return check
            case .remote(let identities): return try await identities.check(for: client)
            }
        }
    }

    private let configuration: Configuration
    private let registry: OperationRegistry
    private let context: ZMQContext
    private let logger: Logger
    private let clock = ContinuousClock()
    private var dispatcher: Dispatcher<ContinuousClock.Instant>
    private var keyring: SignerKeyring
    private var channel: ZMQChannel?
    private var readyWaiters: [CheckedContinuation<String, any Error>] = []
    private var failure: (any Error)?
    /// Outcomes waiting for the next group commit, with whom to ACK once it is on disk.
    private var uncommitted: [(outcome: RecordedOutcome, job: JobRef, ack: Ack?)] = []
    private var committing = false
    /// When each job was last sent, by operation and document, with its attempt: a result for
    /// that attempt measures the signer's time (`signet_job_duration_seconds`).
    private var dispatched: [String: [Int: (attempt: Int, at: ContinuousClock.Instant)]] = [:]
    private var metrics: GatewayMetrics { registry.metrics }

    init(configuration: Configuration, registry: OperationRegistry, context: ZMQContext, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.context = context
        self.logger = logger
        self.dispatcher = Dispatcher(configuration: configuration.dispatcher)
        self.keyring = configuration.keyring
    }

    var signerCount: Int { dispatcher.signerCount }
    var queuedCount: Int { dispatcher.queuedCount }
    var inFlightCount: Int { dispatcher.inFlightCount }
    var signerStates: [Dispatcher<ContinuousClock.Instant>.SignerState] { dispatcher.signerStates }

    /// The dispatcher's state as `/metrics` reports it.
    func reportLoad() {
        metrics.dispatcher(
            queued: dispatcher.queuedCount, inFlight: dispatcher.inFlightCount, signers: dispatcher.signerCount,
            credit: dispatcher.signerStates.reduce(0) { $0 + $1.credit })
    }

    /// The endpoint once bound (resolves a `*` port); throws if binding failed.
    func boundEndpoint() async throws -> String {
        if let channel { return channel.endpoint }
        if let failure { throw failure }
        return try await withCheckedThrowingContinuation { readyWaiters.append($0) }
    }

    func run() async throws {
        let channel: ZMQChannel
        let zap: ZMQChannel
        do {
            // The authentication handler first: libzmq asks it about every CURVE handshake.
            zap = try await ZMQChannel.open(
                context: context, kind: .router, options: [.linger(milliseconds: 0)],
                attach: .bind(ZAPRequest.endpoint), name: "signer-zap")
            channel = try await ZMQChannel.open(
                context: context, kind: .router,
                options: [
                    .linger(milliseconds: 0), .routerMandatory(true), .routerHandover(true),
                    .maxMessageSize(configuration.maxMessageBytes), .sendHighWaterMark(100_000),
                    .receiveHighWaterMark(100_000), .curveServer(secretKey: configuration.serverKeys.secretKey),
                    .zapDomain("signet-signers"),
                ],
                attach: .bind(configuration.endpoint),
                alsoBind: configuration.localSocket.map {
                    [.init($0, options: [.noSecurity, .zapDomain(Self.localZAPDomain)])]
                } ?? [],
                name: "signer-router")
        } catch {
            failure = error
            for waiter in readyWaiters { waiter.resume(throwing: error) }
            readyWaiters = []
            throw error
        }
        self.channel = channel
        for waiter in readyWaiters { waiter.resume(returning: channel.endpoint) }
        readyWaiters = []
        logger.info(
            "signer endpoint bound",
            metadata: [
                "zmq.endpoint": "\(channel.endpoint)", "zmq.curve.publicKey": "\(configuration.serverKeys.publicKey)",
                "signer.keys": "\(keyring.fileKeys.count)", "signer.keys.folder": "\(keyring.directory)",
                "zmq.local": "\(configuration.localSocket ?? "none")",
            ])
        perform(dispatcher.enqueue(await registry.pendingJobs(), now: clock.now))

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.receiveLoop(channel) }
                group.addTask { await self.eventLoop() }
                group.addTask { await self.authenticationLoop(zap) }
                group.addTask { await self.tickLoop() }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await channel.close() }
        }
        await channel.close()
        await zap.close()
        self.channel = nil
        // Every socket of the context is closed now, so this returns at once.
        context.terminate()
    }

    /// Follows the operation table: admitted documents are queued, retired operations' jobs dropped.
    private func eventLoop() async {
        for await event in registry.events {
            switch event {
            case .admitted(let jobs): perform(dispatcher.enqueue(jobs, now: clock.now))
            case .retired(let id):
                dispatcher.retire(operationID: id)
                dispatched[id] = nil
            }
        }
        // The registry stopped: wait to be cancelled with the other loops.
        try? await Task.sleep(for: .seconds(86_400 * 365))
    }

    private func receiveLoop(_ channel: ZMQChannel) async {
        for await batch in channel.inbound {
            for frames in batch {
                guard frames.count >= 2 else { continue }
                let peer = frames[0]
                do {
                    let message = try WireMessage.decode(frames.dropFirst())
                    if case .ready(let ready) = message {
                        logger.info(
                            "signer ready",
                            metadata: [
                                "signer.id": "\(ready.signerID)", "signer.credit": "\(ready.credit)",
                                "signer.host": "\(ready.host)", "signer.pid": "\(ready.pid)",
                                "signer.draining": "\(ready.isDraining)",
                            ])
                    }
                    perform(dispatcher.received(message, from: peer, now: clock.now), receiving: message)
                } catch {
                    logger.warning("undecodable signer message", metadata: ["error": "\(error)"])
                    channel.send([peer] + WireMessage.disconnect(reason: "protocol error").encode())
                }
            }
        }
    }

    /// The ZAP domain of the local signers' Unix socket. libzmq sets it from the listener's own
    /// options, never from what a peer sends, so only a connection over that socket carries it.
    static let localZAPDomain = "signet-local-signers"

    /// Answers libzmq's ZAP requests: only authorized CURVE keys, and connections over the local
    /// signers' socket, complete the handshake, so nothing from another peer ever reaches the
    /// dispatcher.
    private func authenticationLoop(_ zap: ZMQChannel) async {
        for await batch in zap.inbound {
            for frames in batch {
                guard let request = ZAPRequest(frames) else { continue }
                if configuration.localSocket != nil, request.domain == Self.localZAPDomain, request.mechanism == "NULL"
                {
                    zap.send(request.reply(admitted: true, userID: "local"))
                    continue
                }
                let key = request.curvePublicKey
                switch keyring.decide(key) {
                case .admitted(let name):
                    logger.debug(
                        "signer key admitted", metadata: ["signer.key": "\(key ?? "")", "signer.key.name": "\(name)"])
                    zap.send(request.reply(admitted: true, userID: name))
                case .refused(let firstTime):
                    if firstTime {
                        logger.warning(
                            "unauthorized signer key refused",
                            metadata: [
                                "signer.key": "\(key ?? "none")", "signer.address": "\(request.address)",
                                "zmq.mechanism": "\(request.mechanism)",
                            ])
                    }
                    zap.send(request.reply(admitted: false))
                }
            }
        }
    }

    private func tickLoop() async {
        let period = configuration.dispatcher.heartbeatInterval / 2
        while !Task.isCancelled {
            try? await clock.sleep(for: period)
            perform(dispatcher.tick(now: clock.now))
        }
    }

    /// Carries out the dispatcher's actions; `message` is the one that caused them (its RESULT body is recorded).
    private func perform(_ actions: [Dispatcher<ContinuousClock.Instant>.Action], receiving message: WireMessage? = nil)
    {
        guard let channel else { return }
        for action in actions {
            switch action {
            case .sendJob(let peer, let job, let attempt):
                dispatched[job.operationID, default: [:]][job.document] = (attempt, clock.now)
                Task { await self.sendJob(job, attempt: attempt, to: peer, on: channel) }
            case .accept(let peer, let id):
                guard case .result(let result, let body) = message else { continue }
                measure(id)
                Task { await self.record(result, body: body, id: id, from: peer, on: channel) }
            case .ackOnly(let peer, let id):
                channel.send([peer] + WireMessage.ack(id).encode())
            case .sendHeartbeat(let peer):
                channel.send([peer] + WireMessage.heartbeat.encode())
            case .sendDisconnect(let peer, let reason):
                channel.send([peer] + WireMessage.disconnect(reason: reason).encode())
            case .sendDrained(let peer):
                channel.send([peer] + WireMessage.drained.encode())
            case .giveUp(let job, let attempts, let reason):
                forgetDispatch(operationID: job.operationID, document: job.document)
                metrics.documentGivenUp(.init(reason))
                let (code, message) =
                    switch reason {
                    case .lost: ("SIGNER_LOST", "the signer was lost \(attempts) times while signing this document")
                    case .crashed:
                        ("SIGNER_CRASHED", "signing this document made a signer crash, also when it ran alone")
                    case .rejected:
                        ("SIGNATURE_REJECTED", "signers twice returned something that is not a valid signature of it")
                    case .unavailable:
                        (
                            "CERT_SERVICE_GLOBAL_ERROR",
                            "the remote signing service stayed unavailable past --remote-retry-deadline"
                        )
                    }
                logger.error(
                    "document failed",
                    metadata: [
                        "operation.id": "\(job.operationID)", "document.index": "\(job.document)",
                        "job.attempt": "\(attempts)", "sign.error": "\(code)",
                    ])
                commit(
                    .init(
                        operationID: job.operationID, document: job.document,
                        outcome: .failed(code: code, message: message), attempt: attempts),
                    job: job, ack: nil)
            }
        }
    }

    private func sendJob(_ job: JobRef, attempt: Int, to peer: [UInt8], on channel: ZMQChannel) async {
        let spool = registry.spool
        guard let operation = await registry.operation(id: job.operationID),
            operation.documents.indices.contains(job.document),
            case let range = spool.content(job.operationID, job.document, operation.documents[job.document]),
            let content =
                operation.documents[job.document].signature.signsDigestOnly
                ? []
                : try? await BlockingIO.run({ try Spool.read(range) })
        else {
            // Deleted or purged since it was queued: nothing to sign.
            logger.debug(
                "job dropped: its operation is gone",
                metadata: ["operation.id": "\(job.operationID)", "document.index": "\(job.document)"])
            forgetDispatch(operationID: job.operationID, document: job.document)
            perform(dispatcher.dropped(job, now: clock.now))
            return
        }
        let document = operation.documents[job.document]
        let header = WireMessage.Job(
            id: .init(operationID: job.operationID, document: job.document, attempt: attempt),
            contentDigest: job.contentDigest, name: document.name, contentType: document.contentType,
            signature: document.signature, clientService: operation.clientID, appendedResult: true)
        channel.send([peer] + WireMessage.job(header, body: content).encode())
    }

    private func record(
        _ result: WireMessage.Result, body: [UInt8], id: WireMessage.JobID, from peer: [UInt8], on channel: ZMQChannel
    ) async {
        guard let operation = await registry.operation(id: id.operationID),
            operation.documents.indices.contains(id.document)
        else {
            // Deleted or purged meanwhile: the signer forgets the result.
            dispatcher.recorded(id)
            channel.send([peer] + WireMessage.ack(id).encode())
            return
        }
        if !result.signed, let seconds = result.retryAfter {
            // The remote service is unavailable: nothing to record; the job waits and runs again.
            metrics.remoteDeferred()
            logger.notice(
                "remote signing service unavailable: document waits",
                metadata: [
                    "operation.id": "\(id.operationID)", "document.index": "\(id.document)",
                    "job.attempt": "\(id.attempt)", "retry.after": "\(seconds)",
                ])
            channel.send([peer] + WireMessage.ack(id).encode())
            perform(dispatcher.deferred(id, retryAfter: .milliseconds(Int64(seconds * 1000)), now: clock.now))
            return
        }
        var stored: StoredResult?
        if result.signed {
            let record = operation.documents[id.document]
            let signatureCheck: SignatureCheck
            do {
                signatureCheck = try await configuration.identities.check(for: operation.clientID)
            } catch {
                // The certificate to pin could not be fetched: the result is not trusted now.
                logger.warning(
                    "signed result not checked: no pinned certificate",
                    metadata: ["operation.id": "\(id.operationID)", "sign.error": "\(error.code)"])
                channel.send([peer] + WireMessage.ack(id).encode())
                perform(
                    error.retryAfter != nil
                        ? dispatcher.deferred(id, retryAfter: error.retryAfter ?? .seconds(1), now: clock.now)
                        : dispatcher.rejected(id, from: peer, now: clock.now))
                return
            }
            let checked =
                result.isAppended
                ? await Self.checkAppended(
                    body, of: id, document: record, against: signatureCheck, spool: registry.spool,
                    original: registry.intakeHashes.original(operationID: id.operationID, document: id.document))
                : await Self.check(body, of: id, document: record, against: signatureCheck, spool: registry.spool)
            switch checked {
            case .success(let result):
                stored = result
            case .failure(let rejection):
                // Not stored: the signer is told to forget it, and the job goes to another signer.
                metrics.resultRejected()
                logger.warning(
                    "signed result rejected",
                    metadata: [
                        "operation.id": "\(id.operationID)", "document.index": "\(id.document)",
                        "job.attempt": "\(id.attempt)", "signer.id": "\(String(decoding: peer, as: UTF8.self))",
                        "sign.error": "\(rejection.code)", "error": "\(rejection.message)",
                    ])
                channel.send([peer] + WireMessage.ack(id).encode())
                perform(dispatcher.rejected(id, from: peer, now: clock.now))
                return
            }
        }
        let outcome: DocumentOutcome =
            result.signed ? .signed : .failed(code: result.signError ?? "SIGNING_FAILED", message: result.errorMessage)
        if !result.signed {
            logger.notice(
                "document not signed",
                metadata: [
                    "operation.id": "\(id.operationID)", "document.index": "\(id.document)",
                    "job.attempt": "\(id.attempt)", "sign.error": "\(result.signError ?? "SIGNING_FAILED")",
                ])
        }
        commit(
            .init(
                operationID: id.operationID, document: id.document, outcome: outcome, attempt: id.attempt,
                result: stored),
            job: JobRef(operationID: id.operationID, document: id.document, contentDigest: result.contentDigest),
            ack: Ack(peer: peer, id: id))
    }

    /// Records how long the signer took for the attempt that `id` answers.
    private func measure(_ id: WireMessage.JobID) {
        guard let sent = dispatched[id.operationID]?[id.document], sent.attempt == id.attempt else { return }
        forgetDispatch(operationID: id.operationID, document: id.document)
        metrics.jobFinished(after: sent.at.duration(to: clock.now))
    }

    private func forgetDispatch(operationID: String, document: Int) {
        dispatched[operationID]?[document] = nil
        if dispatched[operationID]?.isEmpty == true { dispatched[operationID] = nil }
    }

    /// Whom to ACK once a result is committed (and what to dispatch again if it cannot be).
    private struct Ack {
        var peer: [UInt8]
        var id: WireMessage.JobID
    }

    /// Queues an outcome for the next group commit: everything that arrives while one
    /// transaction is being synced goes into the next one, then each result is ACKed.
    private func commit(_ outcome: RecordedOutcome, job: JobRef, ack: Ack?) {
        uncommitted.append((outcome, job, ack))
        guard !committing else { return }
        committing = true
        Task { await self.commitLoop() }
    }

    private func commitLoop() async {
        while !uncommitted.isEmpty {
            let batch = uncommitted
            uncommitted = []
            do {
                try await registry.record(batch.map(\.outcome))
                for entry in batch {
                    guard let ack = entry.ack else { continue }
                    dispatcher.recorded(ack.id)
                    channel?.send([ack.peer] + WireMessage.ack(ack.id).encode())
                }
            } catch {
                logger.error(
                    "cannot store results", metadata: ["results.count": "\(batch.count)", "error": "\(error)"])
                for entry in batch {
                    if let ack = entry.ack {
                        perform(dispatcher.retry(entry.job, attempt: ack.id.attempt, now: clock.now))
                    } else {
                        // A failure the gateway decided: the job runs again and is decided again.
                        perform(dispatcher.enqueue([entry.job], now: clock.now))
                    }
                }
            }
        }
        committing = false
    }

    /// A result whose document can no longer be read from the spool is not trusted.
    private static let contentGone = SigningError(
        code: SignatureCheck.rejectionCode, message: "the document's content is gone")

    /// Checks what a signer appended to a PAdES document (`RESULT.appended`) against the document:
    /// going on from the intake's hash state when it is held (`held`), else from the document's
    /// range, hashed as it is read. The signed PDF is never put together in memory.
    private nonisolated static func checkAppended(
        _ tail: [UInt8], of id: WireMessage.JobID, document: DocumentRecord, against check: SignatureCheck,
        spool: Spool, original held: IntakeHashes.Original?
    ) async -> Result<StoredResult, SigningError> {
        guard document.signature.signatureType.uppercased() == "PADES" else {
            return .failure(
                .init(code: SignatureCheck.rejectionCode, message: "only a PAdES result can be sent as appended"))
        }
        let original: IntakeHashes.Original
        if let held {
            original = held
        } else {
            let range = spool.content(id.operationID, id.document, document)
            do {
                original = try await BlockingIO.run { try Spool.hash(range) }
            } catch {
                return .failure(Self.contentGone)
            }
        }
        do throws(SigningError) {
            try check.checkPAdES(appended: tail, toOriginal: original.hash, length: original.length)
            return .success(StoredResult(keepsInput: true, tail: tail))
        } catch {
            return .failure(error)
        }
    }

    /// Checks a signed result against its document, off the hub's actor (hashing and verifying
    /// run on the shared pool while the hub goes on dispatching), and splits it for storage. A
    /// CAdES signature is checked against the digest taken at intake, without reading the document
    /// back; a PAdES one needs the document, its exact prefix.
    private nonisolated static func check(
        _ signed: [UInt8], of id: WireMessage.JobID, document: DocumentRecord, against check: SignatureCheck,
        spool: Spool
    ) async -> Result<StoredResult, SigningError> {
        let signatureType = document.signature.signatureType
        if signatureType.uppercased() == "CADES", let digest = [UInt8](hex: document.contentDigest), digest.count == 32
        {
            do {
                try check.checkCAdES(signed: signed, contentDigest: digest)
                return .success(StoredResult(keepsInput: false, tail: signed))
            } catch {
                return .failure(error)
            }
        }
        if signatureType.uppercased() == "XADES" {
            // The signature sits inside the document: the whole result is stored, and checked
            // against the original read back from the spool.
            let range = spool.content(id.operationID, id.document, document)
            do {
                let original = try await BlockingIO.run { try Spool.read(range) }
                try check.checkXAdES(signed: signed, original: original)
                return .success(StoredResult(keepsInput: false, tail: signed))
            } catch let error as SigningError {
                return .failure(error)
            } catch {
                return .failure(Self.contentGone)
            }
        }
        guard signatureType.uppercased() == "PADES" else {
            return .failure(.init(code: SignatureCheck.rejectionCode, message: "unsupported type \(signatureType)"))
        }
        // The original is compared with the spool file piece by piece: a large document is not
        // held twice while its result is checked.
        let range = spool.content(id.operationID, id.document, document)
        let prefix: Int?
        do {
            prefix = try await BlockingIO.run { try Spool.prefixLength(of: range, in: signed) }
        } catch {
            return .failure(Self.contentGone)
        }
        guard let originalLength = prefix, originalLength > 0 else {
            return .failure(
                SigningError(
                    code: SignatureCheck.rejectionCode,
                    message: "the signed PDF does not start with the original document"))
        }
        do {
            try check.checkPAdES(signed: signed, afterPrefixOf: originalLength)
            return .success(StoredResult(keepsInput: true, tail: Array(signed[originalLength...])))
        } catch {
            return .failure(error)
        }
    }
}
