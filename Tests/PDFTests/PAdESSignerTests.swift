import Common
import Crypto
import Foundation
@testable import Signing
import TestSupport
import Testing

@testable import PDF

/// Signet's own PAdES CMS (not openssl's) on every producer, checked by qpdf, pdfsig, pyHanko,
/// and asn1crypto for the baseline attributes.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PAdESSignerTests {
    struct Attributes: Decodable {
        let subFilter: String?
        let signed: [String]
        let unsigned: [String]
        let digest: String
        let certificates: Int
        let cmsBytes: Int
    }

    static func signer(_ ws: Workspace, timestampAuthority: TimestampAuthority? = nil) throws -> DocumentSigner {
        let identity = try TestIdentity(ws)
        return DocumentSigner(
            backend: try LocalKeyBackend(keyFile: identity.key, certificateFile: identity.cert),
            timestampAuthority: timestampAuthority)
    }

    /// The last signature's attributes, read by asn1crypto.
    static func attributes(_ path: String) throws -> Attributes {
        let result = try Shell.check(
            "python", [Shell.packageRoot.appendingPathComponent("Tests/tools/pades_attributes.py").path, path])
        return try JSONDecoder().decode(Attributes.self, from: Data(result.stdout.utf8))
    }

    static let contentType = "1.2.840.113549.1.9.3"
    static let messageDigest = "1.2.840.113549.1.9.4"
    static let signingCertificateV2 = "1.2.840.113549.1.9.16.2.47"
    static let timeStampToken = "1.2.840.113549.1.9.16.2.14"

    /// Exactly content-type, message-digest and ESS signing-certificate-v2 (no signing-time,
    /// 1.2.840.113549.1.9.5); a timestamp token as the only unsigned attribute for B-T.
    static func expectBaseline(_ attributes: Attributes, timestamped: Bool = false) {
        #expect(attributes.subFilter == "ETSI.CAdES.detached")
        #expect(attributes.signed == [contentType, messageDigest, signingCertificateV2].sorted())
        #expect(attributes.unsigned == (timestamped ? [timeStampToken] : []))
        #expect(attributes.digest == "sha256")
        #expect(attributes.certificates == 1)
    }

    /// The byte ranges' hash taken on from the original's (the job's digest check hashed it) is
    /// the one taken from scratch; a state over other bytes gives another.
    @Test func theByteRangeHashGoesOnFromTheOriginalsHash() throws {
        let original = SamplePDF.page(showing: "hashed once")
        let prepared = try PAdESSigner.prepare(
            original, PDFSignatureRequest(signingTime: Date(), signerName: "Unit", contentsCapacity: 4096))
        var hashed = SHA256()
        hashed.update(data: original)
        let fromScratch = try PAdESSigner.digest(of: prepared)
        #expect(try PAdESSigner.digest(of: prepared, original: (hashed, original.count)) == fromScratch)
        var other = SHA256()
        other.update(data: Array(original.dropFirst()) + [0x0A])
        #expect(try PAdESSigner.digest(of: prepared, original: (other, original.count)) != fromScratch)
    }

    @Test(arguments: Producer.allCases)
    func everyProducerSignedAsPAdESBaseline(_ producer: Producer) async throws {
        let ws = try Workspace()
        let original = try producer.make(in: ws)
        let signed = try await Self.signer(ws).sign(
            original, parameters: .init(signatureType: "PAdES", reason: "Invoice approval", location: "Zürich"),
            client: "alice")
        try ws.write("out.pdf", signed)
        try Verifier(ws).expectValid(
            original: original, signed: signed, signatures: 1 + producer.earlierSignatures,
            lenient: producer.needsLenientValidation, pyhanko: producer.pyhankoReadsInput)
        Self.expectBaseline(try Self.attributes(ws.path("out.pdf")))
    }

    @Test func visibleSignaturesFromTheClientModel() async throws {
        let cases: [(Producer, VisibleSignatureInfo, field: String, rect: [Double]?)] = [
            (
                .ghostscript,
                VisibleSignatureInfo(
                    locationType: "COORDINATE", locationValue: "page=1,x=72,y=100", area: "width=220,height=60"),
                "Signature1", [72, 100, 292, 160]
            ),
            (
                .pyhankoIncremental, VisibleSignatureInfo(locationType: "SIGN_FIELD", locationValue: "Approval"),
                "Approval",
                [300, 100, 500, 160]
            ),
            (
                .reportlab, VisibleSignatureInfo(locationType: "PLACEHOLDER", locationValue: "SIGNHERE"), "Signature1",
                nil
            ),
        ]
        for (producer, visible, field, rect) in cases {
            let ws = try Workspace()
            let original = try producer.make(in: ws)
            let signed = try await Self.signer(ws).sign(
                original, parameters: .init(signatureType: "PAdES", visibleSignature: visible), client: "alice")
            try ws.write("out.pdf", signed)
            try Verifier(ws).expectValid(original: original, signed: signed)
            Self.expectBaseline(try Self.attributes(ws.path("out.pdf")))
            try ws.write("in.pdf", original)
            try VisibleWidget.expect(
                original: ws.path("in.pdf"), signed: ws.path("out.pdf"), field: field, page: 1, rect: rect, ws: ws)
        }
    }

    @Test func aBTSignatureCarriesATimestampPyHankoValidates() async throws {
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let ws = try Workspace()
        let original = try Producer.ghostscript.make(in: ws)
        let signed = try await Self.signer(ws, timestampAuthority: TimestampAuthority(url: tsa.url)).sign(
            original, parameters: .init(signatureType: "PAdES", applyTimestamp: true), client: "alice")
        try ws.write("out.pdf", signed)
        let identity = try TestIdentity(ws)
        Self.expectBaseline(try Self.attributes(ws.path("out.pdf")), timestamped: true)
        let validation = try PyHanko.validate(
            ws.path("out.pdf"), trust: [identity.cert, tsa.certificate.path], prettyPrint: true)
        #expect(validation.isValid(signatures: 1), "\(validation.output)")
        #expect(validation.output.contains("The timestamp token is cryptographically sound."), "\(validation.output)")
        #expect(validation.output.contains("The TSA certificate is trusted."), "\(validation.output)")
        #expect(try await Shell.run("qpdf", ["--check", ws.path("out.pdf")]).status == 0)
    }

    /// When the first CMS does not fit its hole, the signer regrows the hole and signs again, and
    /// the result is as valid as ever.
    @Test func aSignatureThatDoesNotFitIsRegrownAndSignedAgain() async throws {
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let ws = try Workspace()
        let identity = try TestIdentity(ws)
        let backend = try LocalKeyBackend(keyFile: identity.key, certificateFile: identity.cert)
        let original = try Producer.qpdfObjectStreams.make(in: ws)
        let signer = PAdESSigner(backend: backend, initialContentsCapacity: 600)
        let signed = try await signer.sign(
            original, parameters: .init(signatureType: "PAdES", applyTimestamp: true), client: "alice",
            timestamp: TimestampAuthority(url: tsa.url))
        try ws.write("out.pdf", signed)
        #expect(signed.starts(with: original))
        #expect(try await Shell.run("qpdf", ["--check", ws.path("out.pdf")]).status == 0)
        let validation = try PyHanko.validate(ws.path("out.pdf"), trust: [identity.cert, tsa.certificate.path])
        #expect(validation.isValid(signatures: 1), "\(validation.output)")
        let attributes = try Self.attributes(ws.path("out.pdf"))
        Self.expectBaseline(attributes, timestamped: true)
        #expect(
            attributes.cmsBytes > signer.initialCapacity(chain: backend.chain, timestamped: true),
            "the first attempt must not have fit")
    }

    @Test func badInputFailsWithItsOwnCode() async throws {
        let ws = try Workspace()
        let good = try Producer.ghostscript.make(in: ws)
        try await Shell.check(
            "qpdf", ["--encrypt", "user", "owner", "256", "--", ws.path("gs.pdf"), ws.path("enc.pdf")])
        let cases: [([UInt8], String)] = [
            (Array("hello, not a PDF".utf8), "NOT_A_PDF"),
            (Array(good.prefix(good.count / 2)), "PDF_TRUNCATED"),
            (try ws.read("enc.pdf"), "PDF_ENCRYPTED"),
            ([], "EMPTY_DOCUMENT"),
        ]
        let signer = try Self.signer(ws)
        for (input, code) in cases {
            do {
                _ = try await signer.sign(input, parameters: .init(signatureType: "PAdES"), client: "alice")
                Issue.record("expected \(code)")
            } catch let error as SigningError {
                #expect(error.code == code)
            }
        }
        do {
            _ = try await signer.sign(
                good,
                parameters: .init(
                    signatureType: "PAdES", visibleSignature: .init(locationType: "COORDINATE", locationValue: "x=1")),
                client: "alice")
            Issue.record("expected INVALID_VISIBLE_SIGNATURE")
        } catch let error as SigningError {
            #expect(error.code == "INVALID_VISIBLE_SIGNATURE")
        }
    }
}
