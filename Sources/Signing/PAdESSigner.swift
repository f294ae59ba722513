import Common
import Crypto
import Foundation
import PDF

/// PAdES baseline B-B signatures: an incremental update of the PDF (the original bytes stay an
/// exact prefix) whose `/Contents` holds a CMS with content-type, message-digest and ESS
/// signing-certificate-v2, and no signing-time (the time is the PDF's `/M`).
///
/// Prepare is the update with its `/Contents` hole sized from the identity's chain, and the
/// signed attributes over its byte ranges; then the shared pipeline (hash, sign, verify,
/// assemble); then the CMS is embedded. A CMS that does not fit makes the hole grow once, and
/// the document is prepared and signed again.
public struct PAdESSigner: Sendable {
    let pipeline: SigningPipeline
    /// The first `/Contents` size; nil estimates it from the chain (tests set it to force a regrow).
    let initialContentsCapacity: Int?

    public init(backend: any SigningBackend, initialContentsCapacity: Int? = nil) {
        self.init(pipeline: SigningPipeline(backend: backend), initialContentsCapacity: initialContentsCapacity)
    }

    init(pipeline: SigningPipeline, initialContentsCapacity: Int? = nil) {
        self.pipeline = pipeline
        self.initialContentsCapacity = initialContentsCapacity
    }

    /// Room for the CMS: the chain as embedded, the signature and attributes, a timestamp token
    /// (its own certificates included) when one is asked for, and slack.
    func initialCapacity(chain: [CertificateDER], timestamped: Bool) -> Int {
        initialContentsCapacity ?? chain.reduce(0) { $0 + $1.der.count } + 1536 + (timestamped ? 6144 : 0)
    }

    /// Signs `pdf` for `client` (B-B, or B-T with a time-stamping authority) and returns the
    /// signed PDF. `hashed`: SHA-256 already fed with all of `pdf` (the job's digest check), so
    /// the byte ranges' hash goes on from it and the document is hashed once.
    public func sign(
        _ pdf: [UInt8], parameters: SignatureParameters, client: String, at time: Date = Date(),
        timestamp: TimestampAuthority? = nil, hashed: SHA256? = nil
    ) async throws -> [UInt8] {
        let plan = try Self.visibleSignature(
            parameters.visibleSignature, serviceTemplate: parameters.visibleSignatureTemplate)
        let signatory = try await pipeline.signatory(for: client)
        // The template's certificate references name the certificate that signs.
        let appearance = plan?.appearance(
            for: CertificateNames(certificate: signatory.identity.chain.first?.der ?? []), at: time)
        var capacity = initialCapacity(chain: signatory.identity.chain, timestamped: timestamp != nil)
        // Sized from the real chain; if the CMS still does not fit, grow once and sign again.
        for _ in 0..<2 {
            let request = PDFSignatureRequest(
                signingTime: time, reason: parameters.reason, location: parameters.location,
                signerName: signatory.identity.signerName, contentsCapacity: capacity, visible: plan?.placement,
                appearance: appearance ?? SignatureAppearance())
            var prepared = try Self.prepare(pdf, request)
            let attributes = try signatory.builder.signedAttributes(
                contentDigest: Array(try Self.digest(of: prepared, original: hashed.map { ($0, pdf.count) })),
                profile: .pades)
            let cms = try await pipeline.cms(
                signedAttributes: attributes, by: signatory, client: client, timestamp: timestamp)
            guard cms.count <= prepared.contentsCapacity else {
                capacity = cms.count + 1024
                continue
            }
            try Self.embed(cms, in: &prepared, original: pdf)
            return prepared.bytes
        }
        throw SigningError(code: "SIGNATURE_TOO_LARGE", message: "the signature does not fit its reserved space")
    }

    /// Prepare: the incremental update with its signature dictionary and an empty hole.
    static func prepare(_ pdf: [UInt8], _ request: PDFSignatureRequest) throws(SigningError) -> PreparedPDF {
        do {
            return try PDFSigner.prepare(pdf, request)
        } catch {
            throw SigningError(code: error.code, message: error.message)
        }
    }

    /// SHA-256 of the two byte ranges, hashed in place (no copy of the document). `original`:
    /// the hash state after the original's bytes and their count, which the update keeps as its
    /// prefix (`embed` checks it): the first range is hashed from there on.
    static func digest(of prepared: PreparedPDF, original: (hash: SHA256, length: Int)? = nil) throws(SigningError)
        -> SHA256.Digest
    {
        let range = prepared.byteRange
        guard range.count == 4, range[0] == 0, range[1] <= range[2], range[2] + range[3] <= prepared.bytes.count else {
            throw SigningError(code: "PDF_MALFORMED", message: "the prepared update has no valid /ByteRange")
        }
        var hasher = SHA256()
        if let original, original.length <= range[1] {
            hasher = original.hash
            hasher.update(data: prepared.bytes[original.length..<range[1]])
            hasher.update(data: prepared.bytes[range[2]..<(range[2] + range[3])])
            return hasher.finalize()
        }
        hasher.update(data: prepared.bytes[range[0]..<(range[0] + range[1])])
        hasher.update(data: prepared.bytes[range[2]..<(range[2] + range[3])])
        return hasher.finalize()
    }

    /// Embed: the CMS into the hole; the original must still be the exact prefix.
    static func embed(_ cms: [UInt8], in prepared: inout PreparedPDF, original: [UInt8]) throws(SigningError) {
        do {
            try prepared.embed(cms: cms)
        } catch {
            throw SigningError(code: error.code, message: error.message)
        }
        guard SignatureCheck.startsWith(prepared.bytes, original) else {
            throw SigningError(
                code: "SIGNATURE_VERIFICATION_FAILED", message: "the update does not keep the original bytes")
        }
    }
}
