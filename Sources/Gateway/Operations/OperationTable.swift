import Foundation

/// The operation table as a pure state machine: which operations exist, who owns them, where each
/// document stands, which are retired. No I/O; `OperationRegistry` persists what it decides.
struct OperationTable: Sendable {
    private(set) var operations: [String: Operation] = [:]
    private(set) var tombstones: [String: Tombstone] = [:]
    /// Documents of each unfinished operation still waiting for an outcome: completion is O(1)
    /// per result, not a scan of the document list.
    private var waiting: [String: Int] = [:]
    /// Documents waiting over all operations (admission control).
    private(set) var queuedDocuments = 0
    /// Unfinished operations per client (admission control).
    private var running: [String: Int] = [:]
    /// (client, externalReference) → operation ids, oldest first.
    private var byReference: [ClientKey: [String]] = [:]
    /// (client, a document's externalReference) → ids of the operations holding it, oldest first.
    private var byDocumentReference: [ClientKey: [String]] = [:]
    /// (client, Idempotency-Key) → operation id.
    private var byIdempotencyKey: [ClientKey: String] = [:]

    struct ClientKey: Hashable, Sendable {
        var clientID: String
        var key: String
    }

    enum Admission: Sendable, Equatable {
        /// A new operation: persist it and dispatch its documents.
        case created(Operation)
        /// The same request again: answer with the existing operation.
        case existing(Operation)
        /// The reference (or idempotency key) is taken by a different payload.
        case conflict(existingID: String)
    }

    /// What a client's call for an operation id finds.
    enum Lookup: Sendable, Equatable {
        case live(Operation)
        /// Deleted or purged: 410.
        case retired(Tombstone)
        /// Never existed, or another client's: 404.
        case unknown
    }

    mutating func admit(_ operation: Operation) -> Admission {
        let decision = decide(operation)
        if case .created = decision { insert(operation) }
        return decision
    }

    /// What `admit` would answer, without admitting.
    func decide(_ operation: Operation) -> Admission {
        if let key = operation.idempotencyKey,
            let id = byIdempotencyKey[ClientKey(clientID: operation.clientID, key: key)],
            let existing = operations[id]
        {
            return existing.fingerprint == operation.fingerprint ? .existing(existing) : .conflict(existingID: id)
        }
        if let reference = operation.externalReference,
            let ids = byReference[ClientKey(clientID: operation.clientID, key: reference)],
            let latest = ids.last.flatMap({ operations[$0] })
        {
            return latest.fingerprint == operation.fingerprint ? .existing(latest) : .conflict(existingID: latest.id)
        }
        return .created(operation)
    }

    /// Puts an operation back as it was persisted (recovery), without admission checks.
    mutating func insert(_ operation: Operation) {
        operations[operation.id] = operation
        let received = operation.documents.count(where: { $0.status == .received })
        if !operation.isFinished && received > 0 {
            waiting[operation.id] = received
            queuedDocuments += received
        }
        if !operation.isFinished { running[operation.clientID, default: 0] += 1 }
        if let reference = operation.externalReference {
            byReference[ClientKey(clientID: operation.clientID, key: reference), default: []].append(operation.id)
        }
        for reference in Set(operation.documents.compactMap(\.externalReference)) {
            byDocumentReference[ClientKey(clientID: operation.clientID, key: reference), default: []].append(
                operation.id)
        }
        if let key = operation.idempotencyKey {
            byIdempotencyKey[ClientKey(clientID: operation.clientID, key: key)] = operation.id
        }
    }

    /// Puts a tombstone back as it was persisted (recovery).
    mutating func insert(_ tombstone: Tombstone) {
        tombstones[tombstone.id] = tombstone
    }

    /// Forgets an operation entirely (its admission could not be persisted).
    mutating func remove(_ id: String) {
        guard let operation = operations.removeValue(forKey: id) else { return }
        unindex(operation)
    }

    /// Retires an operation: its documents and results are forgotten, a tombstone answers for it.
    mutating func retire(_ id: String, as retirement: Retirement, at now: Date) -> Tombstone? {
        guard let operation = operations.removeValue(forKey: id) else { return nil }
        unindex(operation)
        let tombstone = Tombstone(
            id: id, clientID: operation.clientID, externalReference: operation.externalReference,
            idempotencyKey: operation.idempotencyKey, retirement: retirement, date: now)
        tombstones[id] = tombstone
        return tombstone
    }

    /// Drops tombstones older than `date`.
    mutating func forgetTombstones(retiredBefore date: Date) {
        tombstones = tombstones.filter { $0.value.date >= date }
    }

    private mutating func unindex(_ operation: Operation) {
        if let left = waiting.removeValue(forKey: operation.id) { queuedDocuments -= left }
        if !operation.isFinished { decrementRunning(operation.clientID) }
        if let reference = operation.externalReference {
            let key = ClientKey(clientID: operation.clientID, key: reference)
            byReference[key]?.removeAll { $0 == operation.id }
            if byReference[key]?.isEmpty == true { byReference[key] = nil }
        }
        for reference in Set(operation.documents.compactMap(\.externalReference)) {
            let key = ClientKey(clientID: operation.clientID, key: reference)
            byDocumentReference[key]?.removeAll { $0 == operation.id }
            if byDocumentReference[key]?.isEmpty == true { byDocumentReference[key] = nil }
        }
        if let key = operation.idempotencyKey {
            let clientKey = ClientKey(clientID: operation.clientID, key: key)
            if byIdempotencyKey[clientKey] == operation.id { byIdempotencyKey[clientKey] = nil }
        }
    }

    private mutating func decrementRunning(_ clientID: String) {
        let left = (running[clientID] ?? 1) - 1
        running[clientID] = left > 0 ? left : nil
    }

    enum Recording: Sendable, Equatable {
        /// The document got its outcome; `operationFinished` when it was the last one.
        case recorded(operationFinished: Bool)
        /// The document already had an outcome: nothing changed.
        case alreadyFinal
        case unknown
    }

    /// Whether `record` would change anything (checked before the outcome is persisted).
    func wouldRecord(operationID: String, document: Int) -> Recording {
        guard let operation = operations[operationID], operation.documents.indices.contains(document) else {
            return .unknown
        }
        guard operation.documents[document].status == .received else { return .alreadyFinal }
        return .recorded(operationFinished: (waiting[operationID] ?? 1) <= 1)
    }

    /// Records a document's outcome in place (no copy of the operation's document list, so a
    /// large operation costs O(1) per result).
    mutating func record(
        _ outcome: DocumentOutcome, operationID: String, document: Int, attempt: Int, at now: Date
    ) -> Recording {
        // Read the status without keeping a copy of the operation alive across the mutations below.
        let status: SignStatus? = operations[operationID].flatMap {
            $0.documents.indices.contains(document) ? $0.documents[document].status : nil
        }
        guard let status else { return .unknown }
        guard status == .received else { return .alreadyFinal }
        operations[operationID]?.documents[document].attempts = attempt
        switch outcome {
        case .signed:
            operations[operationID]?.documents[document].status = .signed
        case .failed(let code, let message):
            operations[operationID]?.documents[document].status = .errorSigning
            operations[operationID]?.documents[document].signError = code
            operations[operationID]?.documents[document].errorMessage = message
        }
        let left = (waiting[operationID] ?? 1) - 1
        waiting[operationID] = left > 0 ? left : nil
        queuedDocuments -= 1
        let finished = left <= 0
        if finished {
            operations[operationID]?.finishedDate = now
            if let clientID = operations[operationID]?.clientID { decrementRunning(clientID) }
        }
        return .recorded(operationFinished: finished)
    }

    /// The operation if `clientID` owns it; another client's operation is invisible.
    func operation(id: String, clientID: String) -> Operation? {
        guard let operation = operations[id], operation.clientID == clientID else { return nil }
        return operation
    }

    func lookup(id: String, clientID: String) -> Lookup {
        if let operation = operations[id], operation.clientID == clientID { return .live(operation) }
        if let tombstone = tombstones[id], tombstone.clientID == clientID { return .retired(tombstone) }
        return .unknown
    }

    /// The client's operations holding a document with this external reference, oldest first.
    func operations(clientID: String, documentReference: String) -> [Operation] {
        (byDocumentReference[ClientKey(clientID: clientID, key: documentReference)] ?? []).compactMap {
            operations[$0]
        }
    }

    func operations(clientID: String, externalReference: String) -> [Operation] {
        (byReference[ClientKey(clientID: clientID, key: externalReference)] ?? []).compactMap { operations[$0] }
    }

    func runningOperations(clientID: String) -> Int { running[clientID] ?? 0 }

    /// Documents of an operation still waiting for an outcome.
    func waitingCount(_ id: String) -> Int { waiting[id] ?? 0 }

    /// Finished operations whose results are older than `date`: to purge.
    func finished(before date: Date) -> [String] {
        operations.values.compactMap { operation in
            guard let finished = operation.finishedDate, finished < date else { return nil }
            return operation.id
        }
    }

    /// Documents still waiting for an outcome, oldest operation first (for dispatch after recovery).
    func pendingDocuments() -> [(operation: Operation, document: Int)] {
        operations.values
            .filter { !$0.isFinished }
            .sorted { $0.creationDate < $1.creationDate }
            .flatMap { operation in
                operation.documents.indices.filter { operation.documents[$0].status == .received }.map {
                    (operation, $0)
                }
            }
    }
}
