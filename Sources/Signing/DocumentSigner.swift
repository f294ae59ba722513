import Common
import Crypto
import Foundation

/// Signs one document as its job asks, for the client service the job names, with any signing
/// backend (docs/signing.md). Every failure is a `SigningError` with a stable code.
///
/// CAdES, PAdES and XAdES share one pipeline, so concurrent documents of one client are signed in
/// batches when the backend takes several digests per call.
public struct DocumentSigner: Sendable {
    let cades: CAdESSigner
    let pades: PAdESSigner
    let xades: XAdESSigner
    let timestampAuthority: TimestampAuthority?

    /// `batchDelay`: how long a signature request waits for others of the same client before
    /// its batch goes to the backend (no wait when the backend signs one digest per call).
    public init(
        backend: any SigningBackend, timestampAuthority: TimestampAuthority? = nil,
        batchDelay: Duration = .milliseconds(5)
    ) {
        let pipeline = SigningPipeline(backend: backend, batchDelay: batchDelay)
        self.cades = CAdESSigner(pipeline: pipeline)
        self.pades = PAdESSigner(pipeline: pipeline)
        self.xades = XAdESSigner(pipeline: pipeline)
        self.timestampAuthority = timestampAuthority
    }

    /// The signed content for `client` (a client service id): a `.p7s` for CAdES, the signed PDF
    /// for PAdES, the signed XML for XAdES. `expectedDigest` (hex SHA-256, as jobs carry it) is
    /// checked first; the content is hashed once: CAdES signs that digest, and PAdES hashes its
    /// byte ranges on from the same state.
    /// `contentType`: the document's, as XAdES's `DataObjectFormat` names it.
    public func sign(
        _ content: [UInt8], parameters: SignatureParameters, client: String, expectedDigest: String? = nil,
        contentType: String = "text/xml", at time: Date = Date()
    ) async throws -> [UInt8] {
        if content.isEmpty, parameters.signsDigestOnly, let expectedDigest {
            return try await sign(digest: expectedDigest, parameters: parameters, client: client, at: time)
        }
        var hasher = SHA256()
        hasher.update(data: content)
        let digest = hasher.finalize()
        if let expectedDigest, digest.hexString != expectedDigest {
            throw SigningError(code: "CONTENT_DIGEST_MISMATCH", message: "the job's content does not match its digest")
        }
        guard !content.isEmpty else { throw SigningError(code: "EMPTY_DOCUMENT", message: "the document is empty") }
        let timestamp = try timestampAuthority(for: parameters)
        switch parameters.signatureType.uppercased() {
        case "CADES":
            return try await cades.sign(digest: Array(digest), client: client, at: time, timestamp: timestamp)
        case "PADES":
            return try await pades.sign(
                content, parameters: parameters, client: client, at: time, timestamp: timestamp, hashed: hasher)
        case "XADES":
            return try await xades.sign(
                content, parameters: parameters, client: client, contentType: contentType, at: time,
                timestamp: timestamp)
        default:
            throw SigningError(
                code: "UNSUPPORTED_SIGNATURE_TYPE",
                message: "signature type \(parameters.signatureType) is not supported")
        }
    }

    /// A detached CAdES signature of the content whose SHA-256 is `hexDigest`: a job that
    /// carries no content (docs/protocol.md).
    func sign(digest hexDigest: String, parameters: SignatureParameters, client: String, at time: Date) async throws
        -> [UInt8]
    {
        guard let digest = [UInt8](hex: hexDigest), digest.count == SHA256.byteCount else {
            throw SigningError(code: "CONTENT_DIGEST_MISMATCH", message: "the job's digest is not a hex SHA-256")
        }
        guard digest != Array(SHA256.hash(data: [UInt8]())) else {
            throw SigningError(code: "EMPTY_DOCUMENT", message: "the document is empty")
        }
        let timestamp = try timestampAuthority(for: parameters)
        return try await cades.sign(digest: digest, client: client, at: time, timestamp: timestamp)
    }

    private func timestampAuthority(for parameters: SignatureParameters) throws -> TimestampAuthority? {
        guard parameters.applyTimestamp else { return nil }
        guard let timestampAuthority else {
            throw SigningError(
                code: "TIMESTAMP_NOT_CONFIGURED", message: "applyTimestamp needs a time-stamping authority (--tsa-url)")
        }
        return timestampAuthority
    }
}
