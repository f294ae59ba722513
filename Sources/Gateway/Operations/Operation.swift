import Common
import Foundation

/// Per-document status values of the client API.
enum SignStatus: String, Codable, Sendable {
    case received = "RECEIVED"
    case signed = "SIGNED"
    case errorSigning = "ERROR_SIGNING"
}

/// Operation status values of the client API.
enum OperationStatus: String, Codable, Sendable {
    case pendingExecution = "PENDING_EXECUTION"
    case executed = "EXECUTED"
    case executionError = "EXECUTION_ERROR"
    case executionFailed = "EXECUTION_FAILED"
}

/// One document of an operation: what was asked and where it stands. Content lives in the store.
struct DocumentRecord: Codable, Sendable, Equatable {
    var externalReference: String?
    var name: String
    var contentType: String
    var signature: SignatureParameters
    var contentDigest: String
    /// The document's size in bytes before signing.
    var contentLength: Int?
    /// Where its bytes start in its operation's `documents.in`; nil for a document kept as its
    /// own file by an older build, or kept by none (signed from its digest).
    var contentOffset: Int? = nil
    var status: SignStatus = .received
    var signError: String?
    var errorMessage: String?
    /// The attempt whose outcome was recorded (1 unless the document was dispatched again).
    var attempts: Int?

    /// Everything that makes two document requests the same request.
    var fingerprintText: String {
        // advancedSignatureInfo only when present: requests without it keep the fingerprints
        // operations stored before XAdES have.
        ([
            externalReference ?? "", name, contentType, signature.signatureType, signature.reason ?? "",
            signature.location ?? "", String(signature.applyTimestamp),
            signature.visibleSignature.map { "\($0)" } ?? "",
        ] + (signature.advancedSignature.map { ["\($0)"] } ?? []) + [contentDigest])
        .joined(separator: "\u{0}") + "\u{1}"
    }
}

/// An accepted operation.
struct Operation: Codable, Sendable, Equatable {
    var id: String
    var clientID: String
    var externalReference: String?
    var idempotencyKey: String?
    var description: String?
    var fingerprint: String
    var creationDate: Date
    var finishedDate: Date?
    var documents: [DocumentRecord]

    var signedCount: Int { documents.count(where: { $0.status == .signed }) }
    var failedCount: Int { documents.count(where: { $0.status == .errorSigning }) }
    var isFinished: Bool { finishedDate != nil }

    var status: OperationStatus {
        guard isFinished else { return .pendingExecution }
        return signedCount > 0 ? .executed : .executionFailed
    }
}

/// Where a document ended, as a signer (or the dispatcher) reported it.
enum DocumentOutcome: Sendable, Equatable {
    case signed
    case failed(code: String, message: String?)
}
