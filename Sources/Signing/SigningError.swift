/// A signing failure with a stable code; the code becomes a document's `signError`.
public struct SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// Set when the failure may pass (a remote service unavailable): the document waits in the
    /// gateway's queue at least this long and is tried again, instead of failing.
    public let retryAfter: Duration?

    public init(code: String, message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }
}
