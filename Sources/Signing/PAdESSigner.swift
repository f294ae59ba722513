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
    /// signed PDF.
    public func sign(
        _ pdf: [UInt8], parameters: SignatureParameters, client: String, at time: Date = Date(),
        timestamp: TimestampAuthority? = nil
    ) async throws -> [UInt8] {
        let visible = try Self.visibleSignature(parameters.visibleSignature)
        let signatory = try await pipeline.signatory(for: client)
        var capacity = initialCapacity(chain: signatory.identity.chain, timestamped: timestamp != nil)
        // Sized from the real chain; if the CMS still does not fit, grow once and sign again.
        for _ in 0..<2 {
            let request = PDFSignatureRequest(
                signingTime: time, reason: parameters.reason, location: parameters.location,
                signerName: signatory.identity.signerName, contentsCapacity: capacity, visible: visible)
            var prepared = try Self.prepare(pdf, request)
            let attributes = try signatory.builder.signedAttributes(
                contentDigest: Array(try Self.digest(of: prepared)), profile: .pades)
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

    /// SHA-256 of the two byte ranges, hashed in place (no copy of the document).
    static func digest(of prepared: PreparedPDF) throws(SigningError) -> SHA256.Digest {
        let range = prepared.byteRange
        guard range.count == 4, range[0] == 0, range[1] <= range[2], range[2] + range[3] <= prepared.bytes.count else {
            throw SigningError(code: "PDF_MALFORMED", message: "the prepared update has no valid /ByteRange")
        }
        var hasher = SHA256()
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
        guard prepared.bytes.starts(with: original) else {
            throw SigningError(
                code: "SIGNATURE_VERIFICATION_FAILED", message: "the update does not keep the original bytes")
        }
    }

    /// The largest page number and the largest coordinate or size (in points) a request may name:
    /// PDF user space ends at 14,400 units (ISO 32000-1, annex C).
    static let maxPage = 1_000_000
    static let maxPoints = 14_400.0

    /// Sign'Stash `visibleSignatureInfo` → the PDF module's placement. Every number is checked
    /// before use: the error names the field (`position`, `area.width`, …).
    public static func visibleSignature(_ info: VisibleSignatureInfo?) throws(SigningError) -> VisibleSignature? {
        guard let info, let type = info.type?.uppercased() else { return nil }
        func invalid(_ message: String) -> SigningError {
            SigningError(code: "INVALID_VISIBLE_SIGNATURE", message: message)
        }
        let width = info.area?.width ?? 200
        let height = info.area?.height ?? 50
        for (name, size) in [("area.width", width), ("area.height", height)] where !(size > 0 && size <= maxPoints) {
            throw invalid("\(name) must be a number of points above 0 and at most \(Int(maxPoints))")
        }
        switch type {
        case "COORDINATE", "COORDINATES":
            var values: [String: Double] = [:]
            for pair in (info.position ?? "").split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
                if parts.count == 2, let number = Double(parts[1]) { values[parts[0]] = number }
            }
            guard let page = values["page"], let x = values["x"], let y = values["y"] else {
                throw invalid("position must be \"page=N,x=X,y=Y\"")
            }
            guard page.rounded() == page, page >= 1, page <= Double(maxPage) else {
                throw invalid("position: page must be a whole number from 1 to \(maxPage)")
            }
            guard abs(x) <= maxPoints, abs(y) <= maxPoints else {
                throw invalid("position: x and y must be numbers of points within ±\(Int(maxPoints))")
            }
            return .coordinates(page: Int(page), x: x, y: y, width: width, height: height)
        case "SIGN_FIELD":
            guard let name = info.fieldName, !name.isEmpty else { throw invalid("SIGN_FIELD needs fieldName") }
            return .field(name: name)
        case "PLACEHOLDER":
            guard let word = info.placeholder, !word.isEmpty else { throw invalid("PLACEHOLDER needs placeholder") }
            return .placeholder(word: word, width: width, height: height)
        case "INVISIBLE", "NONE":
            return nil
        default:
            throw invalid("type: unknown visibleSignatureInfo.type \(type)")
        }
    }
}
