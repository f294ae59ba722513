/// Bytes the gateway keeps for its live operations: documents' input files in the spool and signed
/// results in their rows (what each adds to its input, `StoredResult`). Counted as operations come
/// and go, so `/metrics` never walks the spool. A pure value; `OperationRegistry` keeps it.
struct SpoolUsage: Sendable, Equatable {
    private(set) var documentBytes = 0
    private(set) var resultBytes = 0
    private var byOperation: [String: Bytes] = [:]

    private struct Bytes: Sendable, Equatable {
        var documents = 0
        var results = 0
    }

    /// An operation whose files are in the spool (admitted, or found at start with the results
    /// stored so far: `resultBytes` by document).
    mutating func add(_ operation: Operation, resultBytes: Int = 0) {
        // A CAdES document is signed from the digest taken at intake: its file is not kept.
        let documents = operation.documents.reduce(0) {
            $0 + ($1.signature.signsDigestOnly ? 0 : $1.contentLength ?? 0)
        }
        remove(operation.id)
        byOperation[operation.id] = Bytes(documents: documents, results: resultBytes)
        documentBytes += documents
        self.resultBytes += resultBytes
    }

    /// A signed result stored for one of the operation's documents.
    mutating func addResult(_ bytes: Int, operationID: String) {
        guard bytes > 0, byOperation[operationID] != nil else { return }
        byOperation[operationID]?.results += bytes
        resultBytes += bytes
    }

    /// The operation's files and results are gone (deleted, purged, or never stored).
    mutating func remove(_ operationID: String) {
        guard let bytes = byOperation.removeValue(forKey: operationID) else { return }
        documentBytes -= bytes.documents
        resultBytes -= bytes.results
    }
}
