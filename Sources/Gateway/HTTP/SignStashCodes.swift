import HTTPTypes

/// Sign'Stash's codes for Signet's precise ones (../shared/SIGNSTASH.md, docs/api.md "Sign'Stash
/// codes"), used on the compatible paths only: `/v1` keeps Signet's codes.
///
/// Request errors keep their 4xx status (Sign'Stash answers validation errors with 500; a
/// client's mistake is never a server error here) and take the `errorCode` a generated client
/// knows; the precise code stays in the body as `signetErrorCode`.
enum SignStashCodes {
    /// The Sign'Stash `errorCode` for an API error code, or nil to keep Signet's.
    static func errorCode(for code: String, status: HTTPResponse.Status) -> String? {
        switch code {
        case "UNAUTHORIZED": "1.1.0"
        case "INVALID_JSON", "INVALID_BASE64", "INVALID_MULTIPART", "MISSING_CONTENT", "MISSING_SIGN_REQUEST",
            "NO_DOCUMENTS", "DOCUMENT_COUNT_MISMATCH", "MISSING_SIGNATURE_TYPE", "MISSING_EXTERNAL_REFERENCE",
            "UNSUPPORTED_MEDIA_TYPE":
            "0.0.2"
        case "PAYLOAD_TOO_LARGE", "TOO_MANY_DOCUMENTS": "0.0.4"
        case "UNSUPPORTED_SIGNATURE_TYPE", "INVALID_VISIBLE_SIGNATURE", "INVALID_ADVANCED_SIGNATURE_INFO",
            "INVALID_PARAMETER", "OPERATION_NOT_FOUND", "DOCUMENT_NOT_FOUND", "OPERATION_ON_OTHER_INSTANCE":
            "0.0.6"
        case "EXTERNAL_REFERENCE_CONFLICT": "0.0.7"
        case "TOO_MANY_RUNNING_OPERATIONS": "429"
        default: status == .badRequest ? "0.0.6" : nil
        }
    }

    /// Sign'Stash's `signError` values, for a document's precise code.
    static let signErrors: Set<String> = [
        "INVALID_CERT_SERVICE_CREDS", "INVALID_CERT_ACCESS_ACCOUNT", "CERT_SERVICE_GLOBAL_ERROR",
        "CONFIGURATION_SIGN_ERROR", "TIMESTAMP_SIGN_ERROR", "INVALID_CERTIFICATE_SIGN_ERROR",
        "STORAGE_SERVICE_GLOBAL_ERROR", "SIGN_OPERATION_INTERNAL_ERROR",
    ]

    /// The nearest Sign'Stash `signError` for a document's precise code: the remote service's own
    /// codes pass through; time-stamping → `TIMESTAMP_SIGN_ERROR`; the signing identity →
    /// `INVALID_CERTIFICATE_SIGN_ERROR`; the remote service unreachable → `CERT_SERVICE_GLOBAL_ERROR`;
    /// what the document or its signature request cannot be signed as (a malformed PDF, a
    /// placeholder not found, an empty document) → `CONFIGURATION_SIGN_ERROR`; the rest (a signer
    /// lost, an internal failure) → `SIGN_OPERATION_INTERNAL_ERROR`.
    static func signError(for code: String) -> String {
        if signErrors.contains(code) { return code }
        if code.hasPrefix("TIMESTAMP_") { return "TIMESTAMP_SIGN_ERROR" }
        switch code {
        case "BAD_CERTIFICATE", "KEY_CERTIFICATE_MISMATCH", "CSC_CERTIFICATE_UNUSABLE", "SIGNATURE_REJECTED",
            "SIGNATURE_VERIFICATION_FAILED":
            return "INVALID_CERTIFICATE_SIGN_ERROR"
        case "CSC_INVALID_CLIENT": return "INVALID_CERT_SERVICE_CREDS"
        case "CSC_CREDENTIAL_NOT_ALLOWED": return "INVALID_CERT_ACCESS_ACCOUNT"
        case "CSC_UNAVAILABLE", "CSC_PROTOCOL_ERROR", "CERT_SERVICE_UNAVAILABLE": return "CERT_SERVICE_GLOBAL_ERROR"
        case "EMPTY_DOCUMENT", "NOT_A_PDF", "UNSUPPORTED_SIGNATURE_TYPE", "INVALID_VISIBLE_SIGNATURE",
            "INVALID_ADVANCED_SIGNATURE_INFO", "CONTENT_DIGEST_MISMATCH", "SIGNATURE_TOO_LARGE":
            return "CONFIGURATION_SIGN_ERROR"
        default:
            return code.hasPrefix("PDF_") || code.hasPrefix("XML_")
                ? "CONFIGURATION_SIGN_ERROR" : "SIGN_OPERATION_INTERNAL_ERROR"
        }
    }
}
