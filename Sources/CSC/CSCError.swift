/// What went wrong with a call to the remote signing service, classified for the caller: whether
/// to retry later, to stop and tell the operator, or to fail the document. Each case has a stable
/// `code`. Messages never hold secrets, tokens, SADs or hashes.
public enum CSCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Try again later: 429, 503 and other 5xx answers, connection errors, timeouts.
    /// `retryAfter` is the service's `Retry-After`, when it gave one.
    case transient(String, retryAfter: Duration?)
    /// The token endpoint refuses this client id and secret (400/401 `invalid_client`), or the
    /// service refuses a freshly issued token.
    case invalidClient(String)
    /// The credential is not this client's to use: 403, or an unknown or foreign credentialID.
    case credentialNotAllowed(String)
    /// The credential cannot sign: its certificate is expired, revoked or suspended, or its key
    /// is disabled.
    case certificateUnusable(String)
    /// An answer the client cannot use: an unexpected status or body, a TLS failure, a request
    /// the service rejects as malformed.
    case protocolError(String)

    public var code: String {
        switch self {
        case .transient: "CSC_UNAVAILABLE"
        case .invalidClient: "CSC_INVALID_CLIENT"
        case .credentialNotAllowed: "CSC_CREDENTIAL_NOT_ALLOWED"
        case .certificateUnusable: "CSC_CERTIFICATE_UNUSABLE"
        case .protocolError: "CSC_PROTOCOL_ERROR"
        }
    }

    public var message: String {
        switch self {
        case .transient(let message, _), .invalidClient(let message), .credentialNotAllowed(let message),
            .certificateUnusable(let message), .protocolError(let message):
            message
        }
    }

    /// Whether the same call may succeed later.
    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    /// The service's `Retry-After`, for a transient error that came with one.
    public var retryAfter: Duration? {
        if case .transient(_, let retryAfter) = self { return retryAfter }
        return nil
    }

    public var description: String { "\(code): \(message)" }
}
