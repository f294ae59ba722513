/// The body of every CSC API and OAuth 2.0 error (CSC API v2 §10.1, RFC 6749 §5.2):
/// `{"error": "invalid_request", "error_description": "Invalid parameter credentialID"}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public var error: String
    public var errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }

    public init(error: String, errorDescription: String? = nil) {
        self.error = error
        self.errorDescription = errorDescription
    }
}
