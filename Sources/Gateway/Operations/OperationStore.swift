import Foundation

/// Persists the operation table: the rows that say which operations exist and where each
/// document stands, and each signed result (what it adds to its document: docs/durability.md).
/// Documents' bytes live in the `Spool`; a row naming a file commits only after the file is
/// synced. `SQLiteOperationStore` is the mechanism.
protocol OperationStore: Sendable {
    /// Everything persisted (recovery at start): live operations and the tombstones of retired ones.
    func load() async throws -> (operations: [Operation], tombstones: [Tombstone])
    func insert(_ operation: Operation) async throws
    /// Records outcomes and their results in one transaction (group commit); `finished`
    /// operations get their end date.
    func record(_ outcomes: [RecordedOutcome], finished: [(id: String, date: Date)]) async throws
    /// A signed document's stored result; nil when none is stored.
    func result(operationID: String, document: Int) async throws -> StoredResult?
    /// Bytes of the results stored so far, by live operation (recovery: `SpoolUsage`).
    func storedResultBytes() async throws -> [String: Int]
    /// Forgets operations' documents and results, keeping a tombstone so they answer 410.
    func retire(_ ids: [String], as retirement: Retirement, at date: Date) async throws
    /// Drops tombstones retired before `date` (afterwards those ids answer 404).
    func forgetTombstones(retiredBefore date: Date) async throws
}

/// Why an operation's documents and results are gone.
enum Retirement: String, Sendable, Codable {
    /// Its results outlived `--result-ttl` and were purged.
    case expired = "EXPIRED"
    /// The client deleted it.
    case deleted = "DELETED"
}

/// What is left of a retired operation: enough to answer 410 to its owner.
struct Tombstone: Sendable, Equatable {
    var id: String
    var clientID: String
    var externalReference: String?
    var idempotencyKey: String?
    var retirement: Retirement
    var date: Date
}

/// One document's outcome as it is persisted, with its result when it is signed.
struct RecordedOutcome: Sendable, Equatable {
    var operationID: String
    var document: Int
    var outcome: DocumentOutcome
    var attempt: Int
    var result: StoredResult? = nil
}

/// One document to sign, as the dispatcher queues it.
struct JobRef: Sendable, Hashable {
    var operationID: String
    var document: Int
    var contentDigest: String
    /// The document's size, for the dispatcher's bound on bytes out with signers.
    var size = 0
}

extension JobRef {
    /// The job for one document of an admitted operation.
    init(_ operation: Operation, document: Int) {
        let record = operation.documents[document]
        self.init(
            operationID: operation.id, document: document, contentDigest: record.contentDigest,
            size: record.contentLength ?? 0)
    }
}
