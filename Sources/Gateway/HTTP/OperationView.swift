import Foundation

/// An operation as the client API shows it (DESIGN.md §2).
struct OperationView: Encodable, Sendable {
    var id: ID
    var externalReference: String?
    var description: String?
    var status: OperationStatus
    var host: String
    var port: Int
    var creationDate: Date
    var executionTime: Int
    var progress: Progress
    var documentList: [DocumentView]

    struct Progress: Encodable, Sendable {
        var total: Int
        var signed: Int
        var failed: Int
    }

    struct DocumentView: Encodable, Sendable {
        var externalReference: String?
        var name: String
        var contentType: String
        var signatureType: String
        /// Bytes before signing (Sign'Stash's `contentLength`).
        var contentLength: Int?
        var signStatus: SignStatus
        var signError: String?
        var signErrorMessage: String?
        /// Which attempt produced the outcome: more than 1 when a signer was lost while holding it.
        var attempts: Int?
        var signedContent: String?

        // Keep explicit nulls for signError, as Sign'Stash clients expect the key.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(externalReference, forKey: .externalReference)
            try c.encode(name, forKey: .name)
            try c.encode(contentType, forKey: .contentType)
            try c.encode(signatureType, forKey: .signatureType)
            try c.encodeIfPresent(contentLength, forKey: .contentLength)
            try c.encode(signStatus, forKey: .signStatus)
            try c.encode(signError, forKey: .signError)
            try c.encodeIfPresent(signErrorMessage, forKey: .signErrorMessage)
            try c.encodeIfPresent(attempts, forKey: .attempts)
            try c.encodeIfPresent(signedContent, forKey: .signedContent)
        }

        enum CodingKeys: String, CodingKey {
            case externalReference, name, contentType, signatureType, contentLength, signStatus, signError,
                signErrorMessage,
                attempts, signedContent
        }
    }

    /// `signed` supplies the signed bytes of a document when the view is a result.
    init(_ operation: Operation, host: String, port: Int, now: Date = Date(), signed: ((Int) -> [UInt8]?)? = nil) {
        id = ID(operation.id)
        externalReference = operation.externalReference
        description = operation.description
        status = operation.status
        self.host = host
        self.port = port
        creationDate = operation.creationDate
        executionTime = Int(
            ((operation.finishedDate ?? now).timeIntervalSince(operation.creationDate) * 1000).rounded())
        progress = Progress(
            total: operation.documents.count, signed: operation.signedCount, failed: operation.failedCount)
        documentList = operation.documents.enumerated().map { index, document in
            DocumentView(
                externalReference: document.externalReference, name: document.name, contentType: document.contentType,
                signatureType: document.signature.signatureType, contentLength: document.contentLength,
                signStatus: document.status,
                signError: document.signError, signErrorMessage: document.errorMessage, attempts: document.attempts,
                signedContent: signed?(index).map { Data($0).base64EncodedString() })
        }
    }
}

extension OperationView {
    /// An operation id in JSON: a number (`OperationIDs`), or a string for ids older builds minted.
    struct ID: Encodable, Sendable {
        let text: String
        init(_ text: String) { self.text = text }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let number = OperationIDs.number(text) {
                try container.encode(number)
            } else {
                try container.encode(text)
            }
        }
    }
}
