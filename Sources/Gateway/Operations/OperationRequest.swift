import Common
import Crypto
import Foundation
import Signing

/// The client's request, in the Sign'Stash model (DESIGN.md §2).
struct OperationRequest: Decodable, Sendable {
    var externalReference: String?
    var description: String?
    var documents: [DocumentEntry]
    /// Whether the synchronous answer carries `signedContent` (Sign'Stash: default false).
    var returnSignedContent: Bool?

    struct DocumentEntry: Decodable, Sendable {
        var documentRequest: DocumentRequest
        var signatureInfo: SignatureInfo?
    }

    struct DocumentRequest: Decodable, Sendable {
        var externalReference: String?
        var name: String?
        var contentType: String?
        var base64Content: String?
    }

    struct SignatureInfo: Decodable, Sendable {
        var signatureType: String?
        var reason: String?
        var location: String?
        var applyTimestamp: Bool?
        var visibleSignatureInfo: VisibleSignatureInfo?
        var advancedSignatureInfo: AdvancedSignatureInfo?
    }
}

/// A validated request: the documents' records, ready to be admitted (their content is in the spool).
struct AdmittedRequest: Sendable {
    var externalReference: String?
    var description: String?
    var documents: [DocumentRecord]
    var returnSignedContent: Bool
    /// Identifies the payload: equal requests have equal fingerprints.
    var fingerprint: String
}

/// What the spool saw of one received document.
struct ReceivedContent: Sendable {
    var digest: String
    var length: Int
    /// Where it starts in the operation's `documents.in`; nil when it was not kept.
    var offset: Int? = nil
    /// The SHA-256 state over the content, not finalized (`IntakeHashes`).
    var original: IntakeHashes.Original? = nil
}

extension OperationRequest {
    static let supportedSignatureTypes: Set<String> = ["CADES", "PADES", "XADES"]

    /// Checks the request against what was received for each document. Every problem is a 400
    /// with its own code. `visibleSignatureTemplate`: the client service's own text for
    /// `templateType: SERVICE_CUSTOMIZATION` (client-services-config.json), carried in the jobs.
    func validated(
        maxDocuments: Int, contents: [Int: ReceivedContent], visibleSignatureTemplate: String? = nil
    ) throws(APIError) -> AdmittedRequest {
        guard !documents.isEmpty else { throw .badRequest("NO_DOCUMENTS", "the request has no documents") }
        guard documents.count <= maxDocuments else {
            throw .badRequest("TOO_MANY_DOCUMENTS", "an operation holds at most \(maxDocuments) documents")
        }
        var records: [DocumentRecord] = []
        var fingerprint = SHA256()
        fingerprint.update(data: Data("\(externalReference ?? "")\u{0}\(description ?? "")\u{0}".utf8))
        for (index, entry) in documents.enumerated() {
            let request = entry.documentRequest
            guard let content = contents[index] else {
                throw .badRequest("MISSING_CONTENT", "documents[\(index)].documentRequest.base64Content is missing")
            }
            guard let type = entry.signatureInfo?.signatureType else {
                throw .badRequest(
                    "MISSING_SIGNATURE_TYPE",
                    "documents[\(index)].signatureInfo.signatureType is required (PAdES, CAdES, XAdES)")
            }
            guard Self.supportedSignatureTypes.contains(type.uppercased()) else {
                throw .badRequest(
                    "UNSUPPORTED_SIGNATURE_TYPE",
                    "documents[\(index)].signatureInfo.signatureType '\(type)' is not supported by this version (supported: CAdES, PAdES, XAdES)"
                )
            }
            let visible = entry.signatureInfo?.visibleSignatureInfo
            let serviceTemplate = PAdESSigner.usesServiceTemplate(visible) ? visibleSignatureTemplate : nil
            if type.uppercased() == "PADES" {
                do {
                    _ = try PAdESSigner.visibleSignature(visible, serviceTemplate: serviceTemplate)
                } catch {
                    throw .badRequest(
                        error.code, "documents[\(index)].signatureInfo.visibleSignatureInfo.\(error.message)")
                }
            }
            // XML only: ignored for PDF and CAdES (Sign'Stash), checked and carried for XAdES.
            let advanced = type.uppercased() == "XADES" ? entry.signatureInfo?.advancedSignatureInfo : nil
            if advanced != nil {
                do {
                    _ = try XAdESOptions(advanced)
                } catch {
                    throw .badRequest(
                        error.code, "documents[\(index)].signatureInfo.advancedSignatureInfo.\(error.message)")
                }
            }
            let parameters = SignatureParameters(
                signatureType: type,
                reason: entry.signatureInfo?.reason,
                location: entry.signatureInfo?.location,
                applyTimestamp: entry.signatureInfo?.applyTimestamp ?? false,
                visibleSignature: visible, visibleSignatureTemplate: serviceTemplate, advancedSignature: advanced)
            var record = DocumentRecord(
                externalReference: request.externalReference,
                name: request.name ?? "document-\(index + 1)",
                contentType: request.contentType ?? "application/octet-stream",
                signature: parameters,
                contentDigest: content.digest, contentLength: content.length, contentOffset: content.offset)
            // An empty document fails alone; the others of the batch are signed.
            if content.length == 0 {
                record.status = .errorSigning
                record.signError = "EMPTY_DOCUMENT"
                record.errorMessage = "documents[\(index)].documentRequest.base64Content is empty"
            }
            fingerprint.update(data: Data(record.fingerprintText.utf8))
            records.append(record)
        }
        return AdmittedRequest(
            externalReference: externalReference, description: description,
            documents: records, returnSignedContent: returnSignedContent ?? false,
            fingerprint: fingerprint.finalize().hexString)
    }
}
