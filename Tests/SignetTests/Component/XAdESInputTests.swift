import Common
import Foundation
import Signing
import TestSupport
import Testing

/// What XAdES does with input that is not a plain invoice: each bad-input class gets its own
/// code and never a signed file; the entity attacks are refused at their declaration; the
/// signature goes where `signatureLocation` says; B-T carries a time-stamp over the canonical
/// `SignatureValue`, checked by openssl.
@Suite(.timeLimit(.minutes(3)))
struct XAdESInputTests {
    /// The development identity (a self-signed P-256 key): refusals need no validator.
    static let signer: DocumentSigner? = try? {
        let (key, certificate) = try DevelopmentIdentity.generate()
        return DocumentSigner(backend: try LocalKeyBackend(keyPEM: key, chainPEM: certificate))
    }()

    static func code(of xml: String, _ info: AdvancedSignatureInfo? = nil) async -> String? {
        await code(of: Array(xml.utf8), info)
    }

    static func code(of xml: [UInt8], _ info: AdvancedSignatureInfo? = nil) async -> String? {
        guard let signer else { return "no signer" }
        do {
            _ = try await signer.sign(
                xml, parameters: SignatureParameters(signatureType: "XAdES", advancedSignature: info), client: "c")
            return nil
        } catch let error as SigningError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: [
        ("<a><b></a>", "XML_MALFORMED"),
        ("<Invoice><ID>1</ID>", "XML_MALFORMED"),
        ("%PDF-1.7\n%\u{e2}\u{e3}\n1 0 obj\n<<>>\nendobj\n", "XML_MALFORMED"),
        ("<a></a><b></b>", "XML_MALFORMED"),
        ("<a x='1' x='2'/>", "XML_MALFORMED"),
        ("<p:a/>", "XML_MALFORMED"),
        ("<a>&undeclared;</a>", "XML_MALFORMED"),
        ("<a xmlns=\"relative/ns\"><b/></a>", "XML_MALFORMED"),
        ("   \n", "EMPTY_DOCUMENT"),
        ("<?xml version=\"1.0\"?>", "EMPTY_DOCUMENT"),
        ("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>", "XML_UNSUPPORTED_ENCODING"),
        ("<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><a/>", "XML_UNSUPPORTED_ENCODING"),
        ("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>", "XML_UNSUPPORTED_ENCODING"),
    ])
    func badInputHasItsOwnCode(xml: String, code: String) async {
        let actual = await Self.code(of: xml)
        #expect(actual == code, "\(xml): \(actual ?? "signed")")
    }

    /// Deep nesting: `XML_PARSE_HUGE` lifts libxml2's limit, and canonicalization recurses per
    /// level, so Signet puts the usual 256 back; 100,000 levels are refused quickly, no crash.
    @Test func deepNestingIsRefusedBeyondTheUsualLimit() async {
        let fine = String(repeating: "<a>", count: 256) + String(repeating: "</a>", count: 256)
        #expect(await Self.code(of: fine) == nil)
        let deeper = String(repeating: "<a>", count: 257) + String(repeating: "</a>", count: 257)
        #expect(await Self.code(of: deeper) == "XML_MALFORMED")
        let deepest = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(await Self.code(of: deepest) == "XML_MALFORMED")
    }

    @Test func emptyAndUTF16InputsHaveTheirCodes() async {
        #expect(await Self.code(of: [UInt8]()) == "EMPTY_DOCUMENT")
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("<a/>".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(await Self.code(of: utf16) == "XML_UNSUPPORTED_ENCODING")
    }

    @Test(arguments: [
        "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><x>&xxe;</x>",
        "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"http://127.0.0.1:9/evil\">]><x>&xxe;</x>",
        "<!DOCTYPE x [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p.dtd\"> %p;]><x/>",
        "<!DOCTYPE x [<!ENTITY greeting \"hello\">]><x>&greeting;</x>",
        "<!DOCTYPE x SYSTEM \"http://127.0.0.1:9/x.dtd\"><x/>",
        "<!DOCTYPE x PUBLIC \"-//X//DTD X//EN\" \"x.dtd\"><x/>",
        "<!DOCTYPE x [<!ENTITY pic SYSTEM \"pic.png\" NDATA png><!NOTATION png SYSTEM \"image/png\">]><x/>",
        "<!DOCTYPE x [<!ATTLIST x a CDATA \"default\">]><x/>",
        "<!DOCTYPE x [<!ATTLIST x a CDATA #FIXED \"fixed\">]><x/>",
    ])
    func entitiesAttributeDefaultsAndExternalDTDsAreForbidden(xml: String) async {
        #expect(await Self.code(of: xml) == "XML_DTD_FORBIDDEN", "\(xml)")
    }

    /// "Billion laughs": ten levels of ten references, 10⁹ copies if expanded. Refused at its
    /// first declaration: well under a second, and the process does not grow.
    @Test func billionLaughsIsRefusedFastInBoundedMemory() async {
        var declarations = "<!ENTITY lol0 \"lol\">"
        for level in 1...9 {
            declarations += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(declarations)]><lolz>&lol9;</lolz>"
        let before = Self.maxResidentKB()
        let start = ContinuousClock.now
        let code = await Self.code(of: xml)
        let elapsed = ContinuousClock.now - start
        #expect(code == "XML_DTD_FORBIDDEN")
        #expect(elapsed < .milliseconds(500), "took \(elapsed)")
        #expect(Self.maxResidentKB() - before < 20_000, "peak memory grew by \(Self.maxResidentKB() - before) KB")
    }

    /// A DOCTYPE that declares no entity and names no external DTD is signed (xmlsec1 verifies).
    @Test func aDoctypeWithoutEntitiesIsSigned() async throws {
        let ws = try Workspace("xades-doctype")
        let pki = try XAdESPKI(ws)
        let signer = try Self.signer(pki)
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE Invoice [<!ELEMENT Invoice (#PCDATA)>]>\n<Invoice>42</Invoice>\n"
        let signed = try await signer.sign(
            Array(xml.utf8), parameters: SignatureParameters(signatureType: "XAdES"), client: "c")
        try Data(signed).write(to: ws.url("signed.xml"))
        let id = try #require(XAdESValidators.signatureID(in: signed))
        let verified = try await XAdESValidators.xmlsec(ws.path("signed.xml"), trusted: pki.caCert, signatureID: id)
        #expect(verified.status == 0, "\(verified.output)")
    }

    /// Markup that holds `<`, `>` or `/>` where no tag is (quoted values, comments, CDATA,
    /// processing instructions, the internal subset) does not mislead the byte scanner: the
    /// signature lands before the right end tag, every other byte stays, xmlsec1 verifies it.
    @Test func trickyMarkupDoesNotMisleadTheSplice() async throws {
        let ws = try Workspace("xades-tricky")
        let pki = try XAdESPKI(ws)
        let signer = try Self.signer(pki)
        let xml = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <!DOCTYPE r [<!ELEMENT r ANY><!-- ]> <r> --><?in-subset ]> ?><!ATTLIST r c CDATA #IMPLIED d (x|y) #IMPLIED>]>
            <r a='1 > 0 &lt;/r>' b="/>"><!-- <r></r> --><![CDATA[</r><x/>]]><?pi </r> ?><r/><t x="a/>"/><s>
            <r>nested</r></s><empty/></r>
            <!-- after </r> -->
            """
        for location in ["r", "s", "empty"] {
            let signed = try await signer.sign(
                Array(xml.utf8),
                parameters: SignatureParameters(
                    signatureType: "XAdES", advancedSignature: AdvancedSignatureInfo(signatureLocation: location)),
                client: "c")
            #expect(XAdESValidators.keepsBytes(of: Array(xml.utf8), in: signed), "\(location)")
            let path = ws.path("tricky-\(location).xml")
            try Data(signed).write(to: URL(fileURLWithPath: path))
            let id = try #require(XAdESValidators.signatureID(in: signed))
            let verified = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
            #expect(verified.status == 0, "\(location): \(verified.output)")
            let text = String(decoding: signed, as: UTF8.self)
            let expected = [
                "r": "</ds:Signature></r>\n<!-- after", "s": "</ds:Signature></s>", "empty": "<empty><ds:Signature",
            ]
            #expect(text.contains(try #require(expected[location])), "\(location): \(text)")
        }
    }

    /// A Signet signature made with `XPATH` leaves every signature out of its digest: a second
    /// signature added later (here another Signet one) does not break it, and xmlsec1 verifies
    /// both; one made with `ENVELOPED` is broken by it, as XML-DSig says.
    @Test func anXPathSignatureSurvivesASecondSignature() async throws {
        let ws = try Workspace("xades-second")
        let pki = try XAdESPKI(ws)
        let signer = try Self.signer(pki)
        let original = try XAdESValidators.fixture("cii-invoice.xml")
        for (transform, firstStaysValid) in [("XPATH", true), ("XPATH2_FILTER", true), ("ENVELOPED", false)] {
            let parameters = SignatureParameters(
                signatureType: "XAdES", advancedSignature: AdvancedSignatureInfo(signatureTransform: transform))
            let once = try await signer.sign(
                original, parameters: parameters, client: "c", at: Date(timeIntervalSince1970: 1_796_126_400))
            let twice = try await signer.sign(
                once, parameters: parameters, client: "c", at: Date(timeIntervalSince1970: 1_796_130_000))
            let first = try #require(XAdESValidators.signatureID(in: once))
            let path = ws.path("twice-\(transform).xml")
            try Data(twice).write(to: URL(fileURLWithPath: path))
            let text = String(decoding: twice, as: UTF8.self)
            let ids = Set(
                text.matches(of: #/Id="(signet-[0-9a-f]{16}-signature)"/#).map { String($0.output.1) })
            #expect(ids.count == 2 && ids.contains(first), "\(ids)")
            for id in ids {
                let verified = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
                #expect((verified.status == 0) == (id != first || firstStaysValid), "\(transform) \(id)")
            }
        }
    }

    @Test func unknownAdvancedSignatureInfoIsRefused() async {
        let xml = "<a/>"
        #expect(
            await Self.code(of: xml, AdvancedSignatureInfo(signatureTransform: "XSLT"))
                == "INVALID_ADVANCED_SIGNATURE_INFO")
        #expect(
            await Self.code(of: xml, AdvancedSignatureInfo(canonicalTransform: "INCLUSIVE"))
                == "INVALID_ADVANCED_SIGNATURE_INFO")
        #expect(
            await Self.code(of: xml, AdvancedSignatureInfo(signatureLocation: "a b"))
                == "INVALID_ADVANCED_SIGNATURE_INFO")
        #expect(
            await Self.code(of: xml, AdvancedSignatureInfo(signatureLocation: "Missing"))
                == "XML_SIGNATURE_LOCATION_NOT_FOUND")
    }

    /// `signatureLocation` by qualified or local name, into an empty-element tag, an inner
    /// element, the first of several matches: xmlsec1 and signxml accept each, and lxml finds
    /// the signature in the element asked for.
    @Test func theSignatureGoesWhereSignatureLocationSays() async throws {
        let ws = try Workspace("xades-location")
        let pki = try XAdESPKI(ws)
        let signer = try Self.signer(pki)
        let original = try XAdESValidators.fixture("ubl-invoice.xml")
        let cases = [
            ("ext:ExtensionContent", "ExtensionContent"), ("ExtensionContent", "ExtensionContent"),
            ("cac:AccountingSupplierParty", "AccountingSupplierParty"), ("cbc:Name", "Name"),
            ("Invoice", "Invoice"),
        ]
        var files: [(path: String, signatureID: String)] = []
        for (index, (location, _)) in cases.enumerated() {
            let signed = try await signer.sign(
                original,
                parameters: SignatureParameters(
                    signatureType: "XAdES", advancedSignature: AdvancedSignatureInfo(signatureLocation: location)),
                client: "c")
            let path = ws.path("signed-\(index).xml")
            try Data(signed).write(to: URL(fileURLWithPath: path))
            #expect(XAdESValidators.keepsBytes(of: original, in: signed), "\(location)")
            let id = try #require(XAdESValidators.signatureID(in: signed))
            let verified = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
            #expect(verified.status == 0, "\(location): \(verified.output)")
            files.append((path, id))
        }
        let reports = try await XAdESValidators.signxml(files, pki: pki)
        #expect(reports.map(\.parent) == cases.map(\.1))
        for report in reports { #expect(report.signxml == "ok", "\(report.file): \(report.signxml)") }
        // "cbc:Name": the first of several, the supplier's.
        let first = try String(contentsOfFile: files[3].path, encoding: .utf8)
        #expect(first.contains("<cbc:Name>Müller Gebäudetechnik GmbH<ds:Signature"))
    }

    /// B-T: the token in `SignatureTimeStamp` covers the exclusive canonical `SignatureValue`
    /// (computed by lxml), and openssl verifies it against the TSA's certificate.
    @Test func bTCarriesATimestampOverTheSignatureValue() async throws {
        let ws = try Workspace("xades-bt")
        let pki = try XAdESPKI(ws)
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let signer = DocumentSigner(
            backend: try LocalKeyBackend(
                keyPEM: try String(contentsOfFile: pki.leafKey, encoding: .utf8),
                chainPEM: try String(contentsOfFile: pki.chain, encoding: .utf8)),
            timestampAuthority: TimestampAuthority(url: tsa.url))
        let signed = try await signer.sign(
            try XAdESValidators.fixture("cii-invoice.xml"),
            parameters: SignatureParameters(signatureType: "XAdES", applyTimestamp: true), client: "c")
        let path = ws.path("signed.xml")
        try Data(signed).write(to: URL(fileURLWithPath: path))
        let id = try #require(XAdESValidators.signatureID(in: signed))
        let verified = try await XAdESValidators.xmlsec(path, trusted: pki.caCert, signatureID: id)
        #expect(verified.status == 0, "\(verified.output)")
        let report = try #require(try await XAdESValidators.signxml([(path, id)], pki: pki).first)
        #expect(report.signxml == "ok", "\(report.signxml)")
        let imprint = try #require(report.timestampImprint)
        let token = try #require(report.timestampToken.flatMap { Data(base64Encoded: $0) })
        try token.write(to: ws.url("token.der"))
        let checked = try await XAdESValidators.verifyTimestamp(ws.url("token.der"), imprint: imprint, authority: tsa)
        #expect(checked.status == 0 && checked.stdout.contains("Verification: OK"), "\(checked.output)")
        // The same token does not verify for another imprint.
        let other = try await XAdESValidators.verifyTimestamp(
            ws.url("token.der"), imprint: String(repeating: "ab", count: 32), authority: tsa)
        #expect(other.status != 0)
    }

    static func signer(_ pki: XAdESPKI) throws -> DocumentSigner {
        DocumentSigner(
            backend: try LocalKeyBackend(
                keyPEM: try String(contentsOfFile: pki.leafKey, encoding: .utf8),
                chainPEM: try String(contentsOfFile: pki.chain, encoding: .utf8)))
    }

    /// The process's peak resident size so far, in KB.
    static func maxResidentKB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
