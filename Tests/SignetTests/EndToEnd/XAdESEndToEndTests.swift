import Foundation
import TestSupport
import Testing

/// XAdES through the running service: one operation mixing PDF invoices (PAdES) and XML invoices
/// (XAdES, with and without `advancedSignatureInfo`) comes back with each signed document
/// passing its validators (pdfsig and pyHanko; xmlsec1 and signxml), and each bad XML failing
/// alone with its own code.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct XAdESEndToEndTests {
    @Test func anOperationMixingPDFAndXMLInvoicesComesBackSigned() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let ws = try Workspace()
        do {
            func entry(_ name: String, _ type: String, _ content: Data, _ info: [String: Any]) -> [String: Any] {
                [
                    "documentRequest": [
                        "name": name, "contentType": type, "base64Content": content.base64EncodedString(),
                    ],
                    "signatureInfo": info,
                ]
            }
            let xmls: [(String, [String: Any])] = [
                ("ubl-invoice.xml", ["signatureType": "XAdES"]),
                (
                    "cii-invoice.xml",
                    [
                        "signatureType": "XAdES",
                        "advancedSignatureInfo": [
                            "signatureLocation": "rsm:ExchangedDocument", "signatureTransform": "XPATH",
                            "canonicalTransform": "EXCLUSIVE_WITH_COMMENTS",
                        ],
                    ]
                ),
                (
                    "latin1.xml",
                    ["signatureType": "XAdES", "advancedSignatureInfo": ["signatureTransform": "XPATH2_FILTER"]]
                ),
            ]
            var documents: [[String: Any]] = [
                entry(
                    "invoice-1.pdf", "application/pdf", Data(SamplePDF.page(showing: "Invoice 1")),
                    ["signatureType": "PAdES", "reason": "Invoice approval"])
            ]
            for (name, info) in xmls {
                documents.append(entry(name, "application/xml", Data(try XAdESValidators.fixture(name)), info))
            }
            documents.append(
                entry(
                    "invoice-2.pdf", "application/pdf", Data(SamplePDF.page(showing: "Invoice 2")),
                    ["signatureType": "PAdES"]))
            documents.append(
                entry("broken.xml", "text/xml", Data("<Invoice><ID>1</Invoice>".utf8), ["signatureType": "XAdES"]))
            documents.append(
                entry(
                    "xxe.xml", "text/xml",
                    Data("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>".utf8),
                    ["signatureType": "XAdES"]))
            let body = try JSONSerialization.data(withJSONObject: [
                "externalReference": "xades-mixed-1", "description": "PDF and XML invoices", "documents": documents,
            ])
            let started = try await gateway.request(
                .POST, "/v1/operations", body: body, headers: [("Prefer", "wait=60")])
            #expect(started.status == 200, "\(started.json)")
            #expect(started.json["status"] as? String == "EXECUTED")
            let id = try #require(started.json.operationID)
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            #expect(list.count == 7)
            let attributes = try #require(list[2]["documentAttributes"] as? [[String: String]])
            #expect(
                attributes.contains([
                    "attributeKey": "advancedSignatureInfo.signatureTransform", "attributeValue": "XPATH",
                ]),
                "\(attributes)")
            #expect(list[5]["signError"] as? String == "XML_MALFORMED")
            #expect(list[6]["signError"] as? String == "XML_DTD_FORBIDDEN")
            let certificate = gateway.developmentCertificate.path
            var xmlFiles: [(path: String, signatureID: String)] = []
            for index in 0..<5 {
                #expect(list[index]["signStatus"] as? String == "SIGNED", "\(list[index])")
                let signed = try #require(Data(base64Encoded: list[index]["signedContent"] as? String ?? ""))
                let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/\(index)")
                #expect(raw.body == signed)
                if index == 0 || index == 4 {
                    let path = ws.path("signed-\(index).pdf")
                    try signed.write(to: URL(fileURLWithPath: path))
                    let pdfsig = try PDFSig.check(path)
                    #expect(pdfsig.signatures == 1 && pdfsig.valid == 1, "\(pdfsig.output)")
                    let pyhanko = try PyHanko.validate(path, trust: [certificate])
                    #expect(pyhanko.isValid(signatures: 1), "\(pyhanko.output)")
                } else {
                    let original = try XAdESValidators.fixture(xmls[index - 1].0)
                    #expect(XAdESValidators.keepsBytes(of: original, in: [UInt8](signed)))
                    let path = ws.path("signed-\(index).xml")
                    try signed.write(to: URL(fileURLWithPath: path))
                    let signatureID = try #require(XAdESValidators.signatureID(in: [UInt8](signed)))
                    let xmlsec = try await XAdESValidators.xmlsec(path, trusted: certificate, signatureID: signatureID)
                    #expect(xmlsec.status == 0, "\(xmlsec.output)")
                    xmlFiles.append((path, signatureID))
                }
            }
            let santuario = try await XAdESValidators.santuario(xmlFiles, trusting: certificate)
            for file in xmlFiles { #expect(santuario[file.path] == "ok", "\(file.path): \(santuario)") }
            let reports = try await XAdESValidators.signxml(xmlFiles, trusting: certificate, leaf: certificate)
            #expect(reports.map(\.parent) == ["Invoice", "ExchangedDocument", "Factura"])
            for report in reports {
                #expect(report.signxml == "ok", "\(report.file): \(report.signxml)")
                #expect(report.certDigestMatches, "\(report.file)")
            }
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    /// `applyTimestamp: true` through the service: XAdES B-T from `--tsa-url`, its token over
    /// the canonical SignatureValue (lxml's) verified by openssl ts.
    @Test func applyTimestampThroughTheServiceMakesBT() async throws {
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let gateway = try GatewayProcess(localSigners: 1, extraArguments: ["--tsa-url", tsa.url])
        try await gateway.waitUntilReady(signers: 1)
        let ws = try Workspace()
        do {
            let body = try JSONSerialization.data(withJSONObject: [
                "externalReference": "xades-bt-1", "description": "B-T",
                "documents": [
                    [
                        "documentRequest": [
                            "name": "saft.xml", "contentType": "text/xml",
                            "base64Content": Data(try XAdESValidators.fixture("saft-pt.xml")).base64EncodedString(),
                        ],
                        "signatureInfo": ["signatureType": "XAdES", "applyTimestamp": true],
                    ]
                ],
            ])
            let started = try await gateway.request(
                .POST, "/v1/operations", body: body, headers: [("Prefer", "wait=60")])
            let id = try #require(started.json.operationID)
            let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/0")
            #expect(raw.status == 200)
            let path = ws.path("bt.xml")
            try raw.body.write(to: URL(fileURLWithPath: path))
            let certificate = gateway.developmentCertificate.path
            let signatureID = try #require(XAdESValidators.signatureID(in: [UInt8](raw.body)))
            let xmlsec = try await XAdESValidators.xmlsec(path, trusted: certificate, signatureID: signatureID)
            #expect(xmlsec.status == 0, "\(xmlsec.output)")
            let report = try #require(
                try await XAdESValidators.signxml([(path, signatureID)], trusting: certificate, leaf: certificate).first
            )
            #expect(report.signxml == "ok", "\(report.signxml)")
            let imprint = try #require(report.timestampImprint)
            let token = try #require(report.timestampToken.flatMap { Data(base64Encoded: $0) })
            try token.write(to: ws.url("token.der"))
            let checked = try await XAdESValidators.verifyTimestamp(
                ws.url("token.der"), imprint: imprint, authority: tsa)
            #expect(checked.status == 0 && checked.stdout.contains("Verification: OK"), "\(checked.output)")
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func badAdvancedSignatureInfoIsABadRequest() async throws {
        let gateway = try GatewayProcess(localSigners: 1)
        try await gateway.waitUntilReady(signers: 1)
        let body = try JSONSerialization.data(withJSONObject: [
            "externalReference": "xades-bad-1", "description": "bad transform",
            "documents": [
                [
                    "documentRequest": [
                        "name": "a.xml", "contentType": "text/xml",
                        "base64Content": Data("<a/>".utf8).base64EncodedString(),
                    ],
                    "signatureInfo": [
                        "signatureType": "XAdES", "advancedSignatureInfo": ["signatureTransform": "XSLT"],
                    ],
                ]
            ],
        ])
        let answer = try await gateway.request(.POST, "/v1/operations", body: body)
        #expect(answer.status == 400)
        #expect(answer.json["errorCode"] as? String == "INVALID_ADVANCED_SIGNATURE_INFO", "\(answer.json)")
        try await gateway.stop()
    }
}
