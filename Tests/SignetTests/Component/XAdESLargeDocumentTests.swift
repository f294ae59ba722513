import Common
import Foundation
import Signing
import TestSupport
import Testing

/// A 20 MB UBL invoice (100,000 lines), signed as XAdES and accepted by xmlsec1 and signxml; the
/// bytes around the signature are the original's.
@Suite(.timeLimit(.minutes(5)))
struct XAdESLargeDocumentTests {
    static func largeInvoice(bytes target: Int) -> [UInt8] {
        var xml = Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" \
            xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" \
            xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
              <cbc:ID>BIG-1</cbc:ID>

            """.utf8)
        var line = 1
        while xml.count < target - 200 {
            xml += Array(
                """
                  <cac:InvoiceLine><cbc:ID>\(line)</cbc:ID><cbc:InvoicedQuantity unitCode="C62">\(line % 97)\
                </cbc:InvoicedQuantity><cac:Item><cbc:Name>Article n° \(line) &amp; co</cbc:Name></cac:Item>\
                </cac:InvoiceLine>

                """.utf8)
            line += 1
        }
        xml += Array("</Invoice>\n".utf8)
        return xml
    }

    @Test func aTwentyMegabyteInvoiceIsSignedAndVerifies() async throws {
        let ws = try Workspace("xades-large")
        let pki = try XAdESPKI(ws)
        let original = Self.largeInvoice(bytes: 20_000_000)
        #expect(original.count > 19_900_000)
        // Enveloped: xmlsec1 evaluates an XPath transform node by node, minutes for 20 MB.
        let started = ContinuousClock.now
        let signed = try await XAdESInputTests.signer(pki).sign(
            original, parameters: SignatureParameters(signatureType: "XAdES"), client: "c")
        print("xades.large: signed \(original.count) bytes in \(ContinuousClock.now - started)")
        #expect(XAdESValidators.keepsBytes(of: original, in: signed))
        let path = ws.path("large.xml")
        try Data(signed).write(to: URL(fileURLWithPath: path))
        let id = try #require(XAdESValidators.signatureID(in: signed))
        let xmlsec = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
        #expect(xmlsec.status == 0, "\(xmlsec.output)")
        let report = try #require(try await XAdESValidators.signxml([(path, id)], pki: pki).first)
        #expect(report.signxml == "ok", "\(report.signxml)")
    }
}
