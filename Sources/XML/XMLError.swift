/// An XML input Signet refuses, with a stable code that becomes a document's `signError`
/// (docs/api.md): `XML_MALFORMED`, `XML_DTD_FORBIDDEN`, `XML_UNSUPPORTED_ENCODING`,
/// `EMPTY_DOCUMENT`, `XML_SIGNATURE_LOCATION_NOT_FOUND`.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func malformed(_ message: String) -> XMLError { XMLError(code: "XML_MALFORMED", message: message) }
    public static func dtdForbidden(_ message: String) -> XMLError {
        XMLError(code: "XML_DTD_FORBIDDEN", message: message)
    }
    public static func unsupportedEncoding(_ message: String) -> XMLError {
        XMLError(code: "XML_UNSUPPORTED_ENCODING", message: message)
    }
    public static func empty(_ message: String) -> XMLError { XMLError(code: "EMPTY_DOCUMENT", message: message) }
    public static func locationNotFound(_ message: String) -> XMLError {
        XMLError(code: "XML_SIGNATURE_LOCATION_NOT_FOUND", message: message)
    }
}
