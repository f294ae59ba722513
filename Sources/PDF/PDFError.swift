/// An error with a stable machine-readable code and a human-readable message.
///
/// The codes are part of Signet's contract (they end up in per-document error reports):
/// `NOT_A_PDF`, `EMPTY_DOCUMENT`, `PDF_ENCRYPTED`, `PDF_TRUNCATED`, `PDF_BAD_XREF`,
/// `PDF_MALFORMED`, `PDF_FIELD_NOT_FOUND`, `PDF_PLACEHOLDER_NOT_FOUND`,
/// `PDF_BAD_VISIBLE_SIGNATURE`, `PDF_TOO_COMPLEX` (a `PDFLimits` bound was exceeded), and
/// `PDF_CONTENTS_TOO_SMALL` (the CMS does not fit the hole).
public struct PDFError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func notAPDF(_ message: String) -> PDFError { PDFError(code: "NOT_A_PDF", message: message) }
    static func empty(_ message: String) -> PDFError { PDFError(code: "EMPTY_DOCUMENT", message: message) }
    static func encrypted(_ message: String) -> PDFError { PDFError(code: "PDF_ENCRYPTED", message: message) }
    static func truncated(_ message: String) -> PDFError { PDFError(code: "PDF_TRUNCATED", message: message) }
    static func badXref(_ message: String) -> PDFError { PDFError(code: "PDF_BAD_XREF", message: message) }
    static func malformed(_ message: String) -> PDFError { PDFError(code: "PDF_MALFORMED", message: message) }
    static func tooComplex(_ message: String) -> PDFError { PDFError(code: "PDF_TOO_COMPLEX", message: message) }
    var isTooComplex: Bool { code == "PDF_TOO_COMPLEX" }
    static func fieldNotFound(_ message: String) -> PDFError {
        PDFError(code: "PDF_FIELD_NOT_FOUND", message: message)
    }
    static func placeholderNotFound(_ message: String) -> PDFError {
        PDFError(code: "PDF_PLACEHOLDER_NOT_FOUND", message: message)
    }
    static func badVisibleSignature(_ message: String) -> PDFError {
        PDFError(code: "PDF_BAD_VISIBLE_SIGNATURE", message: message)
    }
    static func contentsTooSmall(_ message: String) -> PDFError {
        PDFError(code: "PDF_CONTENTS_TOO_SMALL", message: message)
    }
}
