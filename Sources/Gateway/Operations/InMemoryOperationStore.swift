import Foundation

/// An `OperationStore` that keeps everything in memory: state is lost when the process ends.
actor InMemoryOperationStore: OperationStore {
    private var table = OperationTable()
    private var contents: [String: [[UInt8]]] = [:]
    private var results: [String: [Int: [UInt8]]] = [:]
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]

    func admit(_ operation: Operation, contents: [[UInt8]]) -> OperationTable.Admission {
        let admission = table.admit(operation)
        if case .created = admission { self.contents[operation.id] = contents }
        return admission
    }

    func operation(id: String, clientID: String) -> Operation? { table.operation(id: id, clientID: clientID) }
    func operation(id: String) -> Operation? { table.operations[id] }

    func operations(clientID: String, externalReference: String) -> [Operation] {
        table.operations(clientID: clientID, externalReference: externalReference)
    }

    func content(operationID: String, document: Int) -> [UInt8]? {
        guard let documents = contents[operationID], documents.indices.contains(document) else { return nil }
        return documents[document]
    }

    func signedContent(operationID: String, document: Int) -> [UInt8]? { results[operationID]?[document] }

    func record(_ outcome: DocumentOutcome, signed: [UInt8]?, operationID: String, document: Int, attempt: Int)
        -> OperationTable.Recording
    {
        let recording = table.record(
            outcome, operationID: operationID, document: document, attempt: attempt, at: Date())
        guard case .recorded(let finished) = recording else { return recording }
        if let signed { results[operationID, default: [:]][document] = signed }
        if finished {
            contents[operationID] = nil  // inputs are no longer needed once every document is final
            for waiter in (waiters.removeValue(forKey: operationID) ?? [:]).values { waiter.resume() }
        }
        return recording
    }

    func waitUntilFinished(id: String, clientID: String, timeout: Duration) async -> Operation? {
        guard let operation = table.operation(id: id, clientID: clientID) else { return nil }
        guard !operation.isFinished, timeout > .zero else { return operation }
        let token = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.suspend(id: id, token: token)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.release(id: id, token: token)
            }
            await group.next()
            group.cancelAll()
            self.release(id: id, token: token)
        }
        return table.operation(id: id, clientID: clientID)
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

    private func release(id: String, token: UUID) {
        waiters[id]?.removeValue(forKey: token)?.resume()
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
    }

    func pendingJobs() -> [JobRef] {
        table.pendingDocuments().map {
            JobRef(
                operationID: $0.operation.id, document: $0.document,
                contentDigest: $0.operation.documents[$0.document].contentDigest)
        }
    }
}
