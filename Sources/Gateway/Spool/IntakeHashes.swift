import Common
import Crypto

/// The SHA-256 state each PAdES document's intake left, not finalized, kept in memory until the
/// document's outcome is recorded: the gateway checks a signer's appended update by going on from
/// it (`SignatureCheck.checkPAdES(appended:toOriginal:length:)`) instead of reading the spool file
/// back and hashing it again. Each byte of a document is then hashed once by the gateway.
///
/// Memory only: after a restart, or for an operation admitted before this was filled, the check
/// hashes the spool file (`Spool.hash`). About 200 bytes per queued PAdES document.
final class IntakeHashes: Sendable {
    /// `@unchecked`: swift-crypto does not mark `SHA256` Sendable, but it is a value type whose
    /// context is copied on write (`isKnownUniquelyReferenced`), as an array's storage is, so a
    /// copy handed to another task never shares a mutation.
    struct Original: @unchecked Sendable {
        var hash: SHA256
        var length: Int
    }

    private let states = Locked<[String: [Int: Original]]>([:])

    /// Keeps an operation's states, by document index, before its jobs can run.
    func keep(_ originals: [Int: Original], operationID: String) {
        guard !originals.isEmpty else { return }
        states.withLock { $0[operationID] = originals }
    }

    func original(operationID: String, document: Int) -> Original? {
        states.withLock { $0[operationID]?[document] }
    }

    /// The document's outcome is recorded: its state is not needed any more.
    func forget(operationID: String, document: Int) {
        states.withLock { states in
            guard states[operationID]?.removeValue(forKey: document) != nil else { return }
            if states[operationID]?.isEmpty == true { states[operationID] = nil }
        }
    }

    func forget(operationID: String) {
        _ = states.withLock { $0.removeValue(forKey: operationID) }
    }

    /// Operations with states held, for tests.
    var operationCount: Int { states.withLock { $0.count } }
}
