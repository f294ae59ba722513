import Common
import Foundation

/// An operation as the client API shows it: Sign'Stash's `SignOperation` (../shared/SIGNSTASH.md,
/// docs/api.md) plus Signet's `host`, `port` and `progress`. One model on every path; the
/// compatible paths differ only in `signError` (`Surface`).
struct OperationView: Encodable, Sendable {
    var id: ID
    var type = "SIGN"
    var externalReference: String?
    var description: String?
    var status: OperationStatus
    var issuerClientServiceAlias: String
    var folderExternalReference: String?
    var folder: Folder
    var host: String
    var port: Int
    var creationDate: Date
    var executionTime: Int
    var progress: Progress
    var documentList: [DocumentView]

    /// Which API the view answers on.
    enum Surface: Sendable {
        /// `/v1`: `signError` is Signet's precise code.
        case signet
        /// Sign'Stash's paths: `signError` is the nearest value Sign'Stash clients know, and
        /// `signErrorDetail` Signet's precise code.
        case signStash
    }

    struct Progress: Encodable, Sendable {
        var total: Int
        var signed: Int
        var failed: Int
    }

    /// Sign'Stash's folder: one per operation. `HASH`: only digests left the premises.
    struct Folder: Encodable, Sendable {
        var folderId: ID
        var externalReference: String?
        var description: String?
        var folderContent = "HASH"
    }

    struct Attribute: Encodable, Sendable, Equatable {
        var attributeKey: String
        var attributeValue: String
    }

    struct DocumentView: Encodable, Sendable {
        var externalReference: String?
        var name: String
        var contentType: String
        /// The document's number within its operation, from 1.
        var internalId: Int
        var signatureType: String
        /// Bytes before signing (Sign'Stash's `contentLength`).
        var contentLength: Int?
        var receptionDate: Date
        var signStatus: SignStatus
        var signError: String?
        var signErrorDetail: String?
        var signErrorMessage: String?
        /// Which attempt produced the outcome: more than 1 when a signer was lost while holding it.
        var attempts: Int?
        /// The signature attributes that applied (reason, location, visible signature).
        var documentAttributes: [Attribute]
        var signedContent: String?

        // Keep explicit nulls for signError, as Sign'Stash clients expect the key.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(externalReference, forKey: .externalReference)
            try c.encode(name, forKey: .name)
            try c.encode(contentType, forKey: .contentType)
            try c.encode(internalId, forKey: .internalId)
            try c.encode(signatureType, forKey: .signatureType)
            try c.encodeIfPresent(contentLength, forKey: .contentLength)
            try c.encode(receptionDate, forKey: .receptionDate)
            try c.encode(signStatus, forKey: .signStatus)
            try c.encode(signError, forKey: .signError)
            try c.encodeIfPresent(signErrorDetail, forKey: .signErrorDetail)
            try c.encodeIfPresent(signErrorMessage, forKey: .signErrorMessage)
            try c.encodeIfPresent(attempts, forKey: .attempts)
            try c.encode(documentAttributes, forKey: .documentAttributes)
            try c.encodeIfPresent(signedContent, forKey: .signedContent)
        }

        enum CodingKeys: String, CodingKey {
            case externalReference, name, contentType, internalId, signatureType, contentLength, receptionDate,
                signStatus, signError, signErrorDetail, signErrorMessage, attempts, documentAttributes,
                signedContent
        }
    }

    /// `signed` supplies the signed bytes of a document when the view is a result.
    init(
        _ operation: Operation, host: String, port: Int, surface: Surface = .signet, now: Date = Date(),
        signed: ((Int) -> [UInt8]?)? = nil
    ) {
        id = ID(operation.id)
        externalReference = operation.externalReference
        description = operation.description
        status = operation.status
        issuerClientServiceAlias = operation.clientID
        folderExternalReference = operation.externalReference
        folder = Folder(
            folderId: ID(operation.id), externalReference: operation.externalReference,
            description: operation.description)
        self.host = host
        self.port = port
        creationDate = operation.creationDate
        executionTime = Int(
            ((operation.finishedDate ?? now).timeIntervalSince(operation.creationDate) * 1000).rounded())
        progress = Progress(
            total: operation.documents.count, signed: operation.signedCount, failed: operation.failedCount)
        documentList = operation.documents.enumerated().map { index, document in
            var signError = document.signError
            var detail: String?
            if surface == .signStash, let code = document.signError {
                signError = SignStashCodes.signError(for: code)
                detail = code
            }
            return DocumentView(
                externalReference: document.externalReference, name: document.name, contentType: document.contentType,
                internalId: index + 1, signatureType: document.signature.signatureType,
                contentLength: document.contentLength, receptionDate: operation.creationDate,
                signStatus: document.status, signError: signError, signErrorDetail: detail,
                signErrorMessage: document.errorMessage, attempts: document.attempts,
                documentAttributes: Self.attributes(document.signature),
                signedContent: signed?(index).map { Data($0).base64EncodedString() })
        }
    }

    /// `visibleSignatureInfo`'s fields in the order of their names, with their attribute keys.
    static let visibleFields: [(key: String, field: KeyPath<VisibleSignatureInfo, String?> & Sendable)] = [
        ("area", \.area), ("areaBackgroundColor", \.areaBackgroundColor), ("font", \.font),
        ("imageType", \.imageType), ("imageValue", \.imageValue), ("locationType", \.locationType),
        ("locationValue", \.locationValue), ("oneOffTemplate", \.oneOffTemplate), ("templateType", \.templateType),
    ].map { ("visibleSignatureInfo." + $0.0, $0.1) }

    /// The attributes a signature was asked with, flattened to Sign'Stash's key/value pairs:
    /// `reason`, `location`, `applyTimestamp`, and each `visibleSignatureInfo.FIELD` given.
    static func attributes(_ signature: SignatureParameters) -> [Attribute] {
        var attributes: [Attribute] = []
        if let reason = signature.reason { attributes.append(.init(attributeKey: "reason", attributeValue: reason)) }
        if let location = signature.location {
            attributes.append(.init(attributeKey: "location", attributeValue: location))
        }
        if signature.applyTimestamp {
            attributes.append(.init(attributeKey: "applyTimestamp", attributeValue: "true"))
        }
        if let visible = signature.visibleSignature {
            for (key, field) in Self.visibleFields {
                guard let value = visible[keyPath: field] else { continue }
                // Images are data, not attributes: their presence is enough.
                let text = field == \.imageValue ? "(\(value.utf8.count) base64 characters)" : value
                attributes.append(.init(attributeKey: key, attributeValue: text))
            }
        }
        if let advanced = signature.advancedSignature {
            let fields = [
                ("signatureLocation", advanced.signatureLocation), ("signatureTransform", advanced.signatureTransform),
                ("canonicalTransform", advanced.canonicalTransform),
            ]
            for case (let key, let value?) in fields {
                attributes.append(.init(attributeKey: "advancedSignatureInfo.\(key)", attributeValue: value))
            }
        }
        return attributes
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
