import Common
import Foundation
import Signing
import TestSupport
import Testing

/// XAdES B-B signatures of invoices as invoicing systems write them, for every
/// `signatureTransform` × `canonicalTransform`, checked by xmlsec1, by Apache Santuario (what
/// EU DSS validates with) and by signxml + lxml.
@Suite(.timeLimit(.minutes(5)))
struct XAdESSignerTests {
    /// Each fixture, and what of it signxml does not read as XML-DSig says (xmlsec1 and
    /// Santuario do, and both must accept every file):
    /// `URI=""` is the whole document minus comments, so signxml, which canonicalizes only the
    /// document element, misses processing instructions outside it, includes the comments inside
    /// it under a `#WithComments` transform, and ignores XPath transforms (an earlier signature
    /// stays in its digest). There, signxml must report exactly the document reference's digest.
    struct Fixture: Sendable, CustomStringConvertible {
        var name: String
        var processingInstructionOutsideRoot = false
        var commentsInsideRoot = false
        var otherSignature = false
        var description: String { name }

        func signxmlDiffers(transform: String, canonical: String) -> Bool {
            processingInstructionOutsideRoot || (commentsInsideRoot && canonical == "EXCLUSIVE_WITH_COMMENTS")
                || (otherSignature && transform != "ENVELOPED")
        }
    }

    static let fixtures = [
        Fixture(name: "ubl-invoice.xml", commentsInsideRoot: true),
        Fixture(name: "cii-invoice.xml"),
        Fixture(name: "saft-pt.xml"),
        Fixture(name: "default-namespace.xml"),
        Fixture(name: "latin1.xml"),
        Fixture(name: "existing-signature.xml", otherSignature: true),
        Fixture(name: "fatturapa-stylesheet.xml", processingInstructionOutsideRoot: true),
    ]
    static let transforms = ["ENVELOPED", "XPATH", "XPATH2_FILTER"]
    static let canonicals = ["EXCLUSIVE", "EXCLUSIVE_WITH_COMMENTS"]
    static let signingTime = Date(timeIntervalSince1970: 1_796_126_400)  // 2026-12-01T12:00:00Z

    @Test(arguments: [XAdESPKI.p256, XAdESPKI.rsa, ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"]])
    func everyFixtureAndTransformPassesTheValidators(key: [String]) async throws {
        let ws = try Workspace("xades")
        let pki = try XAdESPKI(ws, newKey: key)
        let signer = DocumentSigner(
            backend: try LocalKeyBackend(
                keyPEM: try String(contentsOfFile: pki.leafKey, encoding: .utf8),
                chainPEM: try String(contentsOfFile: pki.chain, encoding: .utf8)))
        var signedFiles: [(path: String, signatureID: String)] = []
        var signxmlDiffers: Set<String> = []
        var tamperedFiles: [(path: String, signatureID: String)] = []
        for fixture in Self.fixtures {
            let original = try XAdESValidators.fixture(fixture.name)
            for transform in Self.transforms {
                for canonical in Self.canonicals {
                    let parameters = SignatureParameters(
                        signatureType: "XAdES",
                        advancedSignature: AdvancedSignatureInfo(
                            signatureTransform: transform, canonicalTransform: canonical))
                    let signed = try await signer.sign(
                        original, parameters: parameters, client: "alice", at: Self.signingTime)
                    let name = "\(fixture.name)-\(transform)-\(canonical).xml"
                    let path = ws.path(name)
                    if fixture.signxmlDiffers(transform: transform, canonical: canonical) {
                        signxmlDiffers.insert(path)
                    }
                    try Data(signed).write(to: URL(fileURLWithPath: path))
                    let id = try #require(XAdESValidators.signatureID(in: signed), "\(name)")
                    #expect(XAdESValidators.keepsBytes(of: original, in: signed), "\(name)")
                    let xmlsec = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
                    #expect(xmlsec.status == 0 && xmlsec.output.contains("OK"), "\(name): \(xmlsec.output)")
                    signedFiles.append((path, id))
                    if transform == "ENVELOPED", canonical == "EXCLUSIVE" {
                        // One changed byte of the invoice and xmlsec1 refuses it.
                        var tampered = signed
                        // A "1" after the document element's start, before the signature.
                        let root = try #require(
                            tampered.indices.first {
                                tampered[$0] == UInt8(ascii: "<") && $0 + 1 < tampered.count
                                    && Character(UnicodeScalar(tampered[$0 + 1])).isLetter
                            })
                        let digit = try #require(tampered[root...].firstIndex(of: UInt8(ascii: "1")))
                        tampered[digit] = UInt8(ascii: "2")
                        let tamperedPath = ws.path("tampered-\(name)")
                        try Data(tampered).write(to: URL(fileURLWithPath: tamperedPath))
                        let refused = try await XAdESValidators.xmlsec(
                            tamperedPath, trusted: pki.caCert, signatureID: id)
                        #expect(refused.status != 0, "\(name): a tampered copy verified")
                        tamperedFiles.append((tamperedPath, id))
                    }
                    if fixture.otherSignature {
                        // The earlier signature excludes every signature: it stays valid.
                        let earlier = try await XAdESValidators.xmlsec(
                            path,
                            trusted: XAdESValidators.fixtures.appendingPathComponent(
                                "existing-signature-signer.pem"
                            ).path, signatureID: "earlier-signature")
                        #expect(earlier.status == 0, "\(name) earlier signature: \(earlier.output)")
                    }
                }
            }
        }
        // Santuario accepts every combination, and refuses each tampered copy at the document's
        // reference (and the earlier signature of a signed invoice stays valid for it too).
        let santuario = try await XAdESValidators.santuario(
            signedFiles + tamperedFiles, trusting: pki.caCert)
        #expect(santuario.count == signedFiles.count + tamperedFiles.count)
        for file in signedFiles {
            #expect(santuario[file.path] == "ok", "\(file.path): \(santuario[file.path] ?? "no verdict")")
        }
        for file in tamperedFiles {
            #expect(
                santuario[file.path] == "signature does not verify; reference 0 digest mismatch;",
                "\(file.path): \(santuario[file.path] ?? "no verdict")")
        }
        let earlier = signedFiles.filter { $0.path.contains("/existing-signature.xml-") }
        #expect(earlier.count == Self.transforms.count * Self.canonicals.count)
        let signerPEM = XAdESValidators.fixtures.appendingPathComponent("existing-signature-signer.pem").path
        let earlierVerdicts = try await XAdESValidators.santuario(
            earlier.map { ($0.path, "earlier-signature") }, trusting: signerPEM)
        for file in earlier {
            #expect(earlierVerdicts[file.path] == "ok", "\(file.path) earlier signature")
        }
        let reports = try await XAdESValidators.signxml(signedFiles, pki: pki)
        #expect(reports.count == signedFiles.count)
        for report in reports {
            if signxmlDiffers.contains(report.file) {
                #expect(report.signxml == "InvalidDigest: Digest mismatch for reference 0 ()", "\(report.file)")
            } else {
                #expect(report.signxml == "ok", "\(report.file): \(report.signxml)")
            }
            #expect(report.signingTime == "2026-12-01T12:00:00Z", "\(report.file)")
            #expect(report.certDigestMatches, "\(report.file)")
            #expect(report.issuerSerialPresent, "\(report.file)")
        }
    }
}
