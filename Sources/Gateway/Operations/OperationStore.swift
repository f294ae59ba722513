import Foundation

/// Keeps operations, their documents' content and their results.
///
/// The role the HTTP layer and the dispatcher depend on; `InMemoryOperationStore` is the first
/// mechanism, a durable SQLite one comes next. Callers must not assume either.
protocol OperationStore: Sendable {
    /// Admits an operation: returns what the table decided. `created` means the operation and its
    /// content are stored.
    func admit(_ operation: Operation, contents: [[UInt8]]) async throws -> OperationTable.Admission
    func operation(id: String, clientID: String) async -> Operation?
    func operations(clientID: String, externalReference: String) async -> [Operation]
    /// Any client's operation: for the dispatcher.
    func operation(id: String) async -> Operation?
    func content(operationID: String, document: Int) async throws -> [UInt8]?
    func signedContent(operationID: String, document: Int) async throws -> [UInt8]?
    /// Records a document's outcome (and its signed bytes) once.
    func record(_ outcome: DocumentOutcome, signed: [UInt8]?, operationID: String, document: Int, attempt: Int)
        async throws -> OperationTable.Recording
    /// Waits until the operation is finished or `timeout` passes; returns it as it then is.
    func waitUntilFinished(id: String, clientID: String, timeout: Duration) async -> Operation?
    /// Documents not yet final, for dispatch at start.
    func pendingJobs() async -> [JobRef]
}

/// One document to sign, as the dispatcher queues it.
struct JobRef: Sendable, Hashable {
    var operationID: String
    var document: Int
    var contentDigest: String
}
