import Common
import Crypto
import Foundation
import PDF

/// PAdES baseline B-B signatures: an incremental update of the PDF (the original bytes stay an
/// exact prefix) whose `/Contents` holds a CMS with content-type, message-digest and ESS
/// signing-certificate-v2, and no signing-time (the time is the PDF's `/M`).
public struct PAdESSigner: Sendable {
    let backend: LocalKeyBackend
    let builder: CMSBuilder
    /// The first `/Contents` size; nil estimates it from the chain (tests set it to force a regrow).
    let initialContentsCapacity: Int?

    public init(backend: LocalKeyBackend, initialContentsCapacity: Int? = nil) {
        self.backend = backend
        self.builder = CMSBuilder(certificates: backend.chain)
        self.initialContentsCapacity = initialContentsCapacity
    }

    /// Room for the CMS: the chain as embedded, the signature and attributes, a timestamp token
    /// (its own certificates included) when one is asked for, and slack.
    func initialCapacity(timestamped: Bool) -> Int {
        initialContentsCapacity ?? backend.chain.reduce(0) { $0 + $1.der.count } + 1536 + (timestamped ? 6144 : 0)
    }

    /// Signs `pdf` (B-B, or B-T with a time-stamping authority) and returns the signed PDF.
    public func sign(
        _ pdf: [UInt8], parameters: SignatureParameters, at time: Date = Date(), timestamp: TimestampAuthority? = nil
    ) async throws -> [UInt8] {
        let visible = try Self.visibleSignature(parameters.visibleSignature)
        var capacity = initialCapacity(timestamped: timestamp != nil)
        // Sized from the real chain; if the CMS still does not fit, grow once and sign again.
        for _ in 0..<2 {
            let request = PDFSignatureRequest(
                signingTime: time, reason: parameters.reason, location: parameters.location,
                signerName: backend.signerName, contentsCapacity: capacity, visible: visible)
            var prepared: PreparedPDF
            do {
                prepared = try PDFSigner.prepare(pdf, request)
            } catch {
                throw SigningError(code: error.code, message: error.message)
            }
            let signed = try builder.sign(
                contentDigest: SHA256.hash(data: prepared.signedData()), profile: .pades, with: backend)
            let cms = try await builder.contentInfo(signed, algorithm: backend.algorithm, timestamp: timestamp)
            guard cms.count <= prepared.contentsCapacity else {
                capacity = cms.count + 1024
                continue
            }
            do {
                try prepared.embed(cms: cms)
            } catch {
                throw SigningError(code: error.code, message: error.message)
            }
            guard prepared.bytes.starts(with: pdf) else {
                throw SigningError(
                    code: "SIGNATURE_VERIFICATION_FAILED", message: "the update does not keep the original bytes")
            }
            return prepared.bytes
        }
        throw SigningError(code: "SIGNATURE_TOO_LARGE", message: "the signature does not fit its reserved space")
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
