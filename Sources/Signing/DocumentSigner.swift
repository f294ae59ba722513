import Common
import Foundation

/// Signs one document as its job asks. Every failure is a `SigningError` with a stable code.
public struct DocumentSigner: Sendable {
    let cades: CAdESSigner
    let pades: PAdESSigner
    let timestampAuthority: TimestampAuthority?

    public init(backend: LocalKeyBackend, timestampAuthority: TimestampAuthority? = nil) {
        self.cades = CAdESSigner(backend: backend)
        self.pades = PAdESSigner(backend: backend)
        self.timestampAuthority = timestampAuthority
    }

    /// The signed content: a `.p7s` for CAdES, the signed PDF for PAdES.
    public func sign(_ content: [UInt8], parameters: SignatureParameters, at time: Date = Date()) async throws -> [UInt8] {
        guard !content.isEmpty else { throw SigningError(code: "EMPTY_DOCUMENT", message: "the document is empty") }
        let timestamp = try timestampAuthority(for: parameters)
        switch parameters.signatureType.uppercased() {
        case "CADES":
            return try await cades.sign(content, at: time, timestamp: timestamp)
        case "PADES":
            return try await pades.sign(content, parameters: parameters, at: time, timestamp: timestamp)
        default:
            throw SigningError(code: "UNSUPPORTED_SIGNATURE_TYPE", message: "signature type \(parameters.signatureType) is not supported")
        }
    }

    private func timestampAuthority(for parameters: SignatureParameters) throws -> TimestampAuthority? {
        guard parameters.applyTimestamp else { return nil }
        guard let timestampAuthority else {
            throw SigningError(code: "TIMESTAMP_NOT_CONFIGURED", message: "applyTimestamp needs a time-stamping authority (--tsa-url)")
        }
        return timestampAuthority
    }
}
