/// The errors a request body can cause while it streams in (docs/intake.md): one constructor per
/// code, so the messages stay the same in both intakes.
extension APIError {
    static func invalidJSON(_ message: String) -> APIError {
        .badRequest("INVALID_JSON", message)
    }

    static func invalidJSON(at offset: Int, _ problem: String) -> APIError {
        .badRequest("INVALID_JSON", "the body is not valid JSON: \(problem) at byte \(offset)")
    }

    static func invalidBase64(document index: Int) -> APIError {
        .badRequest(
            "INVALID_BASE64",
            "documents[\(index)].documentRequest.base64Content is not valid base64 (standard alphabet, '=' padding, line breaks)"
        )
    }

    static func tooManyDocuments(max: Int) -> APIError {
        .badRequest("TOO_MANY_DOCUMENTS", "an operation holds at most \(max) documents")
    }

    static func metadataTooLarge(max: Int) -> APIError {
        APIError(
            status: .contentTooLarge, errorCode: "PAYLOAD_TOO_LARGE",
            causeMessage: "the request's metadata (everything but the documents' content) exceeds \(max) bytes")
    }

    static func invalidMultipart(_ message: String) -> APIError {
        .badRequest("INVALID_MULTIPART", message)
    }
}
