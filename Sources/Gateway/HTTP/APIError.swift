import Foundation
import HTTPTypes
import Hummingbird

/// Every error the HTTP API answers: a stable code, a status, and the one body shape
/// `{ "errorCode", "errorCodeDescription", "causeMessage" }` (DESIGN.md §2).
struct APIError: Error, HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    let errorCode: String
    let causeMessage: String
    var headers: HTTPFields = [:]
    /// Signet's precise code when `errorCode` is Sign'Stash's (the compatible paths).
    var signetErrorCode: String?

    init(
        status: HTTPResponse.Status, errorCode: String, causeMessage: String, headers: HTTPFields = [:],
        signetErrorCode: String? = nil
    ) {
        self.status = status
        self.errorCode = errorCode
        self.causeMessage = causeMessage
        self.headers = headers
        self.signetErrorCode = signetErrorCode
    }

    /// The same error in the codes Sign'Stash clients know (`SignStashCodes`), same status.
    func inSignStashCodes() -> APIError {
        guard signetErrorCode == nil, let code = SignStashCodes.errorCode(for: errorCode, status: status) else {
            return self
        }
        return APIError(
            status: status, errorCode: code, causeMessage: causeMessage, headers: headers, signetErrorCode: errorCode)
    }

    static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, errorCode: code, causeMessage: message)
    }

    static func notFound(_ code: String = "OPERATION_NOT_FOUND", _ message: String = "no such operation") -> APIError {
        APIError(status: .notFound, errorCode: code, causeMessage: message)
    }

    /// The operation still runs: its results are not there yet.
    static func notFinished(_ operation: Operation) -> APIError {
        APIError(
            status: .conflict, errorCode: "OPERATION_NOT_FINISHED",
            causeMessage: "operation \(operation.id) is \(operation.status.rawValue); poll its status",
            headers: [.retryAfter: "1"])
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(
            status: .unauthorized, errorCode: "UNAUTHORIZED", causeMessage: message,
            headers: [.wwwAuthenticate: "Basic realm=\"signet\", Bearer realm=\"signet\""])
    }

    static func gone(_ tombstone: Tombstone) -> APIError {
        switch tombstone.retirement {
        case .expired:
            APIError(
                status: .gone, errorCode: "OPERATION_EXPIRED",
                causeMessage: "operation \(tombstone.id)'s results were purged after their time to live")
        case .deleted:
            APIError(
                status: .gone, errorCode: "OPERATION_DELETED", causeMessage: "operation \(tombstone.id) was deleted")
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, errorCode: "PAYLOAD_TOO_LARGE", causeMessage: "the body exceeds \(limit) bytes")
    }

    /// The spool or the database failed: nothing of the request was kept.
    static func storage(_ message: String) -> APIError {
        APIError(
            status: .serviceUnavailable, errorCode: "STORAGE_UNAVAILABLE",
            causeMessage: "the request could not be stored (\(message)); nothing was kept, send it again",
            headers: [.retryAfter: "5"])
    }

    static func refused(_ refusal: OperationRegistry.Refusal) -> APIError {
        switch refusal {
        case .queueFull(let queued, let limit):
            APIError(
                status: .serviceUnavailable, errorCode: "QUEUE_FULL",
                causeMessage: "\(queued) documents are waiting to be signed (at most \(limit)); send it again later",
                headers: [.retryAfter: "5"])
        case .tooManyRunning(let running, let limit):
            APIError(
                status: .tooManyRequests, errorCode: "TOO_MANY_RUNNING_OPERATIONS",
                causeMessage:
                    "this client has \(running) operations running (at most \(limit)); wait for one to finish",
                headers: [.retryAfter: "2"])
        case .storageFailed:
            storage("the same request, received at the same time, could not be stored")
        }
    }

    /// A short English description for each code.
    var errorCodeDescription: String {
        switch signetErrorCode ?? errorCode {
        case "UNAUTHORIZED": "Missing or invalid client credentials"
        case "INVALID_JSON": "The request body is not valid JSON for this model"
        case "INVALID_BASE64": "A document's base64Content is not valid base64"
        case "INVALID_MULTIPART": "The multipart/form-data body is malformed"
        case "MISSING_SIGN_REQUEST": "The multipart body has no signRequest part"
        case "DOCUMENT_COUNT_MISMATCH": "The number of files parts differs from the number of documents"
        case "TOO_MANY_DOCUMENTS": "The request holds more documents than an operation may"
        case "MISSING_SIGNATURE_TYPE": "A document has no signatureInfo.signatureType"
        case "OPERATION_NOT_FOUND": "Unknown operation"
        case "OPERATION_ON_OTHER_INSTANCE": "The operation is kept by another gateway instance"
        case "DOCUMENT_NOT_FOUND": "Unknown document"
        case "EXTERNAL_REFERENCE_CONFLICT": "The externalReference was already used with another payload"
        case "OPERATION_NOT_FINISHED": "The operation is still running"
        case "DOCUMENT_NOT_SIGNED": "The document has no signed content"
        case "PAYLOAD_TOO_LARGE": "The request body is too large"
        case "UNSUPPORTED_MEDIA_TYPE": "The request content type is not supported"
        case "SIGNING_TIMEOUT": "The operation did not finish in time"
        case "REQUEST_TIMEOUT": "The request body did not arrive in time"
        case "NOT_READY": "The service cannot sign now"
        case "OPERATION_EXPIRED": "The operation's results were purged"
        case "OPERATION_DELETED": "The operation was deleted"
        case "STORAGE_UNAVAILABLE": "The request could not be stored"
        case "QUEUE_FULL": "Too many documents are waiting to be signed"
        case "TOO_MANY_RUNNING_OPERATIONS": "Too many operations of this client are running"
        case "INSUFFICIENT_STORAGE": "Not enough free disk space for this request"
        case "METHOD_NOT_ALLOWED": "The path does not take this method"
        default: "The request is invalid"
        }
    }

    private struct Body: Encodable {
        let errorCode: String
        let errorCodeDescription: String
        let causeMessage: String
        let signetErrorCode: String?
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            errorCode: errorCode, errorCodeDescription: errorCodeDescription, causeMessage: causeMessage,
            signetErrorCode: signetErrorCode)
        return try .json(body, status: status, headers: headers)
    }
}
