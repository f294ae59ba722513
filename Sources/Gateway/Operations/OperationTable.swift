import Foundation

/// The operation table as a pure state machine: which operations exist, who owns them, where each
/// document stands. No I/O; the store around it persists what it decides.
struct OperationTable: Sendable {
    private(set) var operations: [String: Operation] = [:]
    /// Documents of each unfinished operation still waiting for an outcome: completion is O(1)
    /// per result, not a scan of the document list.
    private var waiting: [String: Int] = [:]
    /// (client, externalReference) → operation ids, oldest first.
    private var byReference: [ClientKey: [String]] = [:]
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

    mutating func admit(_ operation: Operation) -> Admission {
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
        insert(operation)
        return .created(operation)
    }

    /// Puts an operation back as it was persisted (recovery), without admission checks.
    mutating func insert(_ operation: Operation) {
        operations[operation.id] = operation
        let received = operation.documents.count(where: { $0.status == .received })
        if !operation.isFinished && received > 0 { waiting[operation.id] = received }
        if let reference = operation.externalReference {
            byReference[ClientKey(clientID: operation.clientID, key: reference), default: []].append(operation.id)
        }
        if let key = operation.idempotencyKey {
            byIdempotencyKey[ClientKey(clientID: operation.clientID, key: key)] = operation.id
        }
    }

    enum Recording: Sendable, Equatable {
        /// The document got its outcome; `operationFinished` when it was the last one.
        case recorded(operationFinished: Bool)
        /// The document already had an outcome: nothing changed.
        case alreadyFinal
        case unknown
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
        let finished = left <= 0
        if finished { operations[operationID]?.finishedDate = now }
        return .recorded(operationFinished: finished)
    }

    /// The operation if `clientID` owns it; another client's operation is invisible.
    func operation(id: String, clientID: String) -> Operation? {
        guard let operation = operations[id], operation.clientID == clientID else { return nil }
        return operation
    }

    func operations(clientID: String, externalReference: String) -> [Operation] {
        (byReference[ClientKey(clientID: clientID, key: externalReference)] ?? []).compactMap { operations[$0] }
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
