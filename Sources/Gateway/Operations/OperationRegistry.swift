import Foundation
import Logging
import ServiceLifecycle

/// What the dispatcher hears from the operation table.
enum OperationEvent: Sendable {
    /// Documents of a newly admitted operation, to sign.
    case admitted([JobRef])
    /// An operation was deleted or purged, or could not be stored: its queued jobs are void.
    case retired(String)
}

/// The live operation table: owns the pure `OperationTable`, the clients waiting for operations
/// to finish and the events the signer hub subscribes to, and persists every decision through an
/// `OperationStore` (rows) and the `Spool` (files) before it is visible. The HTTP layer talks to
/// it, never to the hub. As a `Service` it purges results older than `resultTTL`.
actor OperationRegistry: Service {
    struct Configuration: Sendable {
        var resultTTL: Duration = .seconds(86_400)
        /// Documents waiting to be signed, over all operations: above this, 503 QUEUE_FULL.
        var maxQueuedDocuments = 100_000
        /// Unfinished operations (and requests being received) per client: above this, 429.
        var maxRunningOperationsPerClient = 1_000
        /// How often expired results are purged.
        var purgeInterval: Duration = .seconds(60)
    }

    let configuration: Configuration
    nonisolated let spool: Spool
    /// The intake's hash states of PAdES documents still to be signed.
    nonisolated let intakeHashes = IntakeHashes()
    nonisolated let events: AsyncStream<OperationEvent>
    private let eventSink: AsyncStream<OperationEvent>.Continuation
    private nonisolated let store: any OperationStore
    private let logger: Logger
    nonisolated let metrics: GatewayMetrics
    private var table = OperationTable()
    /// Bytes of documents and results kept for the live operations (`/metrics`).
    private(set) var spoolUsage = SpoolUsage()
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    /// Operations admitted in the table whose rows are being committed: a duplicate request
    /// waits for the commit before it is answered.
    private var committing: [String: [CheckedContinuation<Bool, Never>]] = [:]
    /// Requests being received, per client (they count as running operations).
    private var receiving: [String: Int] = [:]

    init(
        configuration: Configuration, store: any OperationStore, spool: Spool, logger: Logger,
        metrics: GatewayMetrics = GatewayMetrics()
    ) {
        self.configuration = configuration
        self.store = store
        self.spool = spool
        self.logger = logger
        self.metrics = metrics
        (events, eventSink) = AsyncStream.makeStream(of: OperationEvent.self)
    }

    // MARK: - Recovery

    struct Recovery: Sendable, Equatable {
        var operations: Int
        var unfinished: Int
        var pendingDocuments: Int
        var tombstones: Int
        var orphanFolders: Int
    }

    /// Loads what was persisted: every accepted operation is back, unfinished ones will be
    /// dispatched again (`pendingJobs`); half-received requests and unnamed spool folders go.
    func recover() async throws -> Recovery {
        let (operations, tombstones) = try await store.load()
        let resultBytes = try await store.storedResultBytes()
        for operation in operations {
            table.insert(operation)
            spoolUsage.add(operation, resultBytes: resultBytes[operation.id] ?? 0)
        }
        for tombstone in tombstones { table.insert(tombstone) }
        spool.removeIncoming()
        let orphans = spool.removeOrphans(keeping: Set(operations.map(\.id)))
        let recovery = Recovery(
            operations: operations.count, unfinished: operations.count(where: { !$0.isFinished }),
            pendingDocuments: table.queuedDocuments, tombstones: tombstones.count, orphanFolders: orphans)
        logger.info(
            "operations recovered",
            metadata: [
                "operations.count": "\(recovery.operations)", "operations.unfinished": "\(recovery.unfinished)",
                "documents.pending": "\(recovery.pendingDocuments)", "operations.retired": "\(recovery.tombstones)",
                "spool.orphans": "\(recovery.orphanFolders)",
            ])
        return recovery
    }

    /// The ids of every operation kept, live or retired.
    func knownIDs() -> [String] { Array(table.operations.keys) + Array(table.tombstones.keys) }

    /// Documents not yet final, oldest operation first: what the hub queues when it starts.
    func pendingJobs() -> [JobRef] {
        table.pendingDocuments().map { JobRef($0.operation, document: $0.document) }
    }

    // MARK: - Admission

    /// Why new work is refused now (before its body is read, and again before it is admitted).
    enum Refusal: Error, Sendable, Equatable {
        case queueFull(queued: Int, limit: Int)
        case tooManyRunning(running: Int, limit: Int)
        /// The same request, received at the same time, could not be stored.
        case storageFailed
    }

    /// Reserves a place for a request about to be received; `release` it when done.
    func reserve(clientID: String) throws(Refusal) {
        let running = table.runningOperations(clientID: clientID) + receiving[clientID, default: 0]
        guard running < configuration.maxRunningOperationsPerClient else {
            throw .tooManyRunning(running: running, limit: configuration.maxRunningOperationsPerClient)
        }
        guard table.queuedDocuments < configuration.maxQueuedDocuments else {
            throw .queueFull(queued: table.queuedDocuments, limit: configuration.maxQueuedDocuments)
        }
        receiving[clientID, default: 0] += 1
    }

    func release(clientID: String) {
        let left = receiving[clientID, default: 1] - 1
        receiving[clientID] = left > 0 ? left : nil
    }

    /// Admits a received operation whose documents are in `incoming`: on `created` its files are
    /// in the spool and its rows committed (the caller may answer 202); otherwise `incoming` is
    /// discarded. Its documents go to the dispatcher as soon as they are in the spool, before the
    /// commit (results wait for it).
    /// `originals`: the intake's hash states of its PAdES documents, by index (`IntakeHashes`),
    /// kept when the operation is created.
    func admit(
        _ operation: Operation, incoming: IncomingFolder, originals: [Int: IntakeHashes.Original] = [:]
    ) async throws -> OperationTable.Admission {
        let decision = table.decide(operation)
        switch decision {
        case .created(let created):
            let waitingDocuments = created.documents.count(where: { $0.status == .received })
            guard table.queuedDocuments + waitingDocuments <= configuration.maxQueuedDocuments else {
                incoming.discard()
                throw Refusal.queueFull(queued: table.queuedDocuments, limit: configuration.maxQueuedDocuments)
            }
            table.insert(created)
            committing[created.id] = []
            let spool = self.spool
            do {
                try await BlockingIO.run { try spool.moveIn(incoming, as: created.id) }
            } catch {
                incoming.discard()
                abandon(created.id)
                throw error
            }
            spoolUsage.add(created)
            // Signing starts while the files and rows are made durable: the sync costs about what
            // the disk takes to write the documents, and signers need not wait for it. Their
            // results wait in `record` until the rows are committed.
            let jobs = created.documents.indices.filter { created.documents[$0].status == .received }.map {
                JobRef(created, document: $0)
            }
            intakeHashes.keep(originals, operationID: created.id)
            if !jobs.isEmpty { eventSink.yield(.admitted(jobs)) }
            do {
                try await BlockingIO.run { try spool.syncAccepted(incoming, as: created.id) }
                try await store.insert(created)
            } catch {
                if !jobs.isEmpty { eventSink.yield(.retired(created.id)) }
                abandon(created.id)
                throw error
            }
            for waiter in committing.removeValue(forKey: created.id) ?? [] { waiter.resume(returning: true) }
            // Documents refused at intake (empty ones) are final from the start.
            for document in created.documents where document.status != .received {
                metrics.documentFinished(signed: document.status == .signed)
            }
            if created.isFinished { logFinished(created.id) }
            return decision
        case .existing(let existing):
            incoming.discard()
            guard await committed(existing.id) else { throw Refusal.storageFailed }
            return .existing(table.operations[existing.id] ?? existing)
        case .conflict:
            incoming.discard()
            return decision
        }
    }

    /// An operation that could not be stored: it never existed.
    private func abandon(_ id: String) {
        intakeHashes.forget(operationID: id)
        spool.remove(id)
        spoolUsage.remove(id)
        table.remove(id)
        for waiter in committing.removeValue(forKey: id) ?? [] { waiter.resume(returning: false) }
    }

    /// Waits until `id`'s rows are committed, if they are being committed; false if they never were.
    private func committed(_ id: String) async -> Bool {
        guard committing[id] != nil else { return true }
        return await withCheckedContinuation { continuation in
            if committing[id] != nil {
                committing[id]?.append(continuation)
            } else {
                continuation.resume(returning: table.operations[id] != nil)
            }
        }
    }

    // MARK: - Reading

    func lookup(id: String, clientID: String) -> OperationTable.Lookup {
        if committing[id] != nil { return .unknown }
        return table.lookup(id: id, clientID: clientID)
    }

    /// Any client's live operation: for the hub.
    func operation(id: String) -> Operation? { table.operations[id] }

    func operations(clientID: String, documentReference: String) -> [Operation] {
        table.operations(clientID: clientID, documentReference: documentReference).filter { committing[$0.id] == nil }
    }

    func operations(clientID: String, externalReference: String) -> [Operation] {
        table.operations(clientID: clientID, externalReference: externalReference).filter { committing[$0.id] == nil }
    }

    /// Waits until the operation is finished (or retired) or `timeout` passes; returns it as it then is.
    func waitUntilFinished(id: String, clientID: String, timeout: Duration) async -> OperationTable.Lookup {
        guard case .live(let operation) = table.lookup(id: id, clientID: clientID) else {
            return table.lookup(id: id, clientID: clientID)
        }
        guard !operation.isFinished, timeout > .zero else { return .live(operation) }
        let token = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend(id: id, token: token) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.wake(id: id, token: token)
            }
            await group.next()
            group.cancelAll()
            self.wake(id: id, token: token)
        }
        return table.lookup(id: id, clientID: clientID)
    }

    private func suspend(id: String, token: UUID) async {
        await withCheckedContinuation { continuation in
            if table.operations[id]?.isFinished ?? true {
                continuation.resume()
            } else {
                waiters[id, default: [:]][token] = continuation
            }
        }
    }

    private func wake(id: String, token: UUID) {
        waiters[id]?.removeValue(forKey: token)?.resume()
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
    }

    private func wakeAll(_ id: String) {
        for waiter in (waiters.removeValue(forKey: id) ?? [:]).values { waiter.resume() }
    }

    // MARK: - Results

    /// Records a batch of outcomes, each signed one with its result, in one transaction, then in
    /// the table. Callers must not run two of these at once (the hub's commit loop is the one
    /// caller). Outcomes for documents already final, or whose operation is gone, change nothing.
    func record(_ batch: [RecordedOutcome]) async throws {
        // A result can arrive before its operation's rows commit (signing starts at once): it
        // waits for them; one whose operation could not be stored is dropped below.
        for id in Set(batch.map(\.operationID)) { _ = await committed(id) }
        var seen = Set<JobKey>()
        var kept: [RecordedOutcome] = []
        for outcome in batch {
            let key = JobKey(operationID: outcome.operationID, document: outcome.document)
            guard seen.insert(key).inserted,
                case .recorded = table.wouldRecord(operationID: key.operationID, document: key.document)
            else { continue }
            kept.append(outcome)
        }
        guard !kept.isEmpty else { return }
        let now = Date()
        var counts: [String: Int] = [:]
        for outcome in kept { counts[outcome.operationID, default: 0] += 1 }
        let finished = counts.compactMap { id, count in
            table.waitingCount(id) == count ? (id: id, date: now) : nil
        }
        try await store.record(kept, finished: finished)
        for recorded in kept {
            guard
                case .recorded(let operationFinished) = table.record(
                    recorded.outcome, operationID: recorded.operationID, document: recorded.document,
                    attempt: recorded.attempt, at: now)
            else { continue }
            intakeHashes.forget(operationID: recorded.operationID, document: recorded.document)
            metrics.documentFinished(signed: recorded.outcome == .signed)
            spoolUsage.addResult(recorded.result?.tail.count ?? 0, operationID: recorded.operationID)
            if operationFinished {
                logFinished(recorded.operationID)
                wakeAll(recorded.operationID)
            }
        }
    }

    private func logFinished(_ id: String) {
        guard let operation = table.operations[id] else { return }
        let seconds = operation.finishedDate.map { $0.timeIntervalSince(operation.creationDate) } ?? 0
        logger.info(
            "operation finished",
            metadata: [
                "operation.id": "\(id)", "operation.status": "\(operation.status.rawValue)",
                "documents.signed": "\(operation.signedCount)", "documents.failed": "\(operation.failedCount)",
                "operation.seconds": "\(Double(Int(seconds * 1000)) / 1000)",
            ])
    }

    /// A signed document's result as stored (nonisolated: reads run beside the commits).
    nonisolated func result(operationID: String, document: Int) async throws -> StoredResult? {
        try await store.result(operationID: operationID, document: document)
    }

    private struct JobKey: Hashable {
        var operationID: String
        var document: Int
    }

    // MARK: - Retirement

    /// Deletes a client's operation: what has not run is cancelled, results are forgotten.
    func delete(id: String, clientID: String) async throws -> OperationTable.Lookup {
        let found = lookup(id: id, clientID: clientID)
        guard case .live = found else { return found }
        try await retire([id], as: .deleted)
        logger.info("operation deleted", metadata: ["operation.id": "\(id)"])
        return found
    }

    /// Purges operations whose results are older than the time to live, and tombstones older than
    /// it again. Returns how many operations were purged.
    @discardableResult
    func purge(now: Date = Date()) async throws -> Int {
        let ttl = Double(configuration.resultTTL.nanoseconds) / 1e9
        let expired = table.finished(before: now.addingTimeInterval(-ttl))
        if !expired.isEmpty {
            try await retire(expired, as: .expired, at: now)
            logger.info("expired results purged", metadata: ["operations.count": "\(expired.count)"])
        }
        let cutoff = now.addingTimeInterval(-ttl)
        try await store.forgetTombstones(retiredBefore: cutoff)
        table.forgetTombstones(retiredBefore: cutoff)
        return expired.count
    }

    private func retire(_ ids: [String], as retirement: Retirement, at now: Date = Date()) async throws {
        try await store.retire(ids, as: retirement, at: now)
        for id in ids {
            _ = table.retire(id, as: retirement, at: now)
            intakeHashes.forget(operationID: id)
            spool.remove(id)
            spoolUsage.remove(id)
            eventSink.yield(.retired(id))
            wakeAll(id)
        }
    }

    // MARK: - Service

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.configuration.purgeInterval)
                guard !Task.isCancelled else { break }
                do {
                    try await self.purge()
                } catch {
                    self.logger.error("purge failed", metadata: ["error": "\(error)"])
                }
            }
        }
        eventSink.finish()
    }

    // MARK: - Admission counters

    var queuedDocuments: Int { table.queuedDocuments }
}
