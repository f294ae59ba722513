import Foundation

/// Signs one document as its job asks: CAdES for anything; PAdES and XAdES are refused with
/// their own codes until they exist.
public struct DocumentSigner: Sendable {
    public struct Output: Sendable {
        public let bytes: [UInt8]
    }

    let cades: CAdESSigner

    public init(backend: LocalKeyBackend) {
        self.cades = CAdESSigner(backend: backend)
    }

    public func sign(_ content: [UInt8], signatureType: String) throws -> Output {
        guard !content.isEmpty else { throw SigningError(code: "EMPTY_DOCUMENT", message: "the document is empty") }
        switch signatureType.uppercased() {
        case "CADES":
            return Output(bytes: try cades.sign(content))
        default:
            throw SigningError(code: "UNSUPPORTED_SIGNATURE_TYPE", message: "signature type \(signatureType) is not supported")
        }
    }
}
