import Common
import Foundation
import Signing
import TestSupport
import Testing
import XML

/// The gateway's check of a signer's XAdES result: it accepts Signet's signature by the
/// configured identity over the job's document, and nothing else.
@Suite(.timeLimit(.minutes(2)))
struct XAdESSignatureCheckTests {
    @Test func theCheckAcceptsOnlyTheRightDocumentAndIdentity() async throws {
        let ws = try Workspace("xades-check")
        let pki = try XAdESPKI(ws)
        let otherWorkspace = try Workspace("xades-check-other")
        let other = try XAdESPKI(otherWorkspace, newKey: XAdESPKI.rsa)
        let check = try SignatureCheck(certificateChainPEM: try String(contentsOfFile: pki.chain, encoding: .utf8))
        let original = try XAdESValidators.fixture("ubl-invoice.xml")
        // The last one opens an empty-element tag: the check parses the original then.
        let cases: [(String, String?)] = [
            ("ENVELOPED", nil), ("XPATH", nil), ("XPATH2_FILTER", nil), ("ENVELOPED", "ext:ExtensionContent"),
        ]
        for (transform, location) in cases {
            let parameters = SignatureParameters(
                signatureType: "XAdES",
                advancedSignature: AdvancedSignatureInfo(signatureLocation: location, signatureTransform: transform))
            let signed = try await XAdESInputTests.signer(pki).sign(original, parameters: parameters, client: "c")
            try check.check(signed: signed, original: original, signatureType: "XAdES")
            // What the check's fast path relies on: the signature element's bytes, found by the
            // markup scanner in the signed bytes, are exactly what was inserted.
            let parsed = try XMLDocument.parse(signed)
            let element = try #require(parsed.elements("http://www.w3.org/2000/09/xmldsig#", "Signature").first)
            let position = try #require(parsed.position(of: element))
            let span = try #require(XMLMarkup.span(in: signed, elementIndex: position))
            let outside = Array(signed[..<span.lowerBound]) + Array(signed[span.upperBound...])
            #expect((outside == original) == (location == nil), "\(transform) \(location ?? "root")")
            #expect(signed[span].starts(with: Array("<ds:Signature ".utf8)))
            #expect(signed[span].reversed().starts(with: Array("</ds:Signature>".utf8).reversed()))
            // Signed twice by Signet: the second check finds the new signature among both.
            let twice = try await XAdESInputTests.signer(pki).sign(signed, parameters: parameters, client: "c")
            try check.check(signed: twice, original: signed, signatureType: "XAdES")
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: twice, original: original) }

            // Another document than the job's.
            var changed = original
            let digit = try #require(changed.firstIndex(of: UInt8(ascii: "4")))
            changed[digit] = UInt8(ascii: "5")
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: signed, original: changed) }
            // A signed document whose content was changed after signing.
            var tampered = signed
            let inside = try #require(tampered.firstIndex(of: UInt8(ascii: "4")))
            tampered[inside] = UInt8(ascii: "5")
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: tampered, original: original) }
            // Signed by another identity.
            let foreign = try await XAdESInputTests.signer(other).sign(original, parameters: parameters, client: "c")
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: foreign, original: original) }
            // The original itself, or garbage, holds no new signature.
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: original, original: original) }
            #expect(throws: SigningError.self) { try check.checkXAdES(signed: Array("<x/>".utf8), original: original) }
        }
    }
}
