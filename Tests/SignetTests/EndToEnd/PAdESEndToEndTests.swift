import Foundation
import TestSupport
import Testing

/// PAdES through the running service: real gateway, real signers, results checked by qpdf,
/// pdfsig, pyHanko and asn1crypto.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PAdESEndToEndTests {
    @Test func anOperationOfPDFsComesBackAsPAdESSignedPDFs() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let ws = try Workspace()
        do {
            try Ghostscript.pdf(
                fromPostScript:
                    "%!PS\n/Helvetica findfont 14 scalefont setfont 72 700 moveto (Invoice 7) show showpage\n",
                in: ws)
            try await Shell.check("qpdf", ["--object-streams=generate", ws.path("gs.pdf"), ws.path("objstm.pdf")])
            let pdfs: [(String, Data)] = [
                ("plain.pdf", Data(SamplePDF.page(showing: "Invoice 1"))),
                ("ghostscript.pdf", Data(try ws.read("gs.pdf"))),
                ("objstm.pdf", Data(try ws.read("objstm.pdf"))),
            ]
            var documents: [[String: Any]] = pdfs.map { name, content in
                [
                    "documentRequest": [
                        "name": name, "contentType": "application/pdf", "base64Content": content.base64EncodedString(),
                    ],
                    "signatureInfo": ["signatureType": "PAdES", "reason": "Invoice approval", "location": "Lyon"],
                ]
            }
            documents.append([
                "documentRequest": [
                    "name": "visible.pdf", "contentType": "application/pdf",
                    "base64Content": pdfs[1].1.base64EncodedString(),
                ],
                "signatureInfo": [
                    "signatureType": "PAdES",
                    "visibleSignatureInfo": [
                        "locationType": "COORDINATE", "locationValue": "page=1,x=72,y=100",
                        "area": "width=200,height=50",
                    ],
                ],
            ])
            documents.append([
                "documentRequest": [
                    "name": "broken.pdf", "contentType": "application/pdf",
                    "base64Content": Data("not a pdf at all".utf8).base64EncodedString(),
                ],
                "signatureInfo": ["signatureType": "PAdES"],
            ])
            let body = try JSONSerialization.data(withJSONObject: [
                "externalReference": "pades-1", "documents": documents,
            ])
            let started = try await gateway.request(
                .POST, "/v1/operations", body: body, headers: [("Prefer", "wait=60")])
            #expect(started.status == 200)
            #expect(started.json["status"] as? String == "EXECUTED")
            let id = try #require(started.json.operationID)
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            #expect(list.count == 5)
            #expect(list[4]["signStatus"] as? String == "ERROR_SIGNING")
            #expect(list[4]["signError"] as? String == "NOT_A_PDF")
            #expect((result.json["progress"] as? [String: Int])?["failed"] == 1)

            let originals = pdfs.map(\.1) + [pdfs[1].1]
            for (index, original) in originals.enumerated() {
                #expect(list[index]["signStatus"] as? String == "SIGNED")
                let signed = try #require(Data(base64Encoded: list[index]["signedContent"] as? String ?? ""))
                // The raw download is the same file.
                let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/\(index)")
                #expect(raw.status == 200)
                #expect(raw.headers.first(name: "Content-Type") == "application/pdf")
                #expect(raw.body == signed)
                #expect(signed.starts(with: original), "the original must be an exact prefix")
                let path = ws.path("signed-\(index).pdf")
                try signed.write(to: URL(fileURLWithPath: path))
                #expect(try await Shell.run("qpdf", ["--check", path]).status == 0)
                // Exactly one signature, valid for poppler and for pyHanko (whose exit status alone
                // would also be 0 for a file without any signature).
                let pdfsig = try PDFSig.check(path)
                #expect(pdfsig.signatures == 1 && pdfsig.valid == 1, "\(pdfsig.output)")
                let pyhanko = try PyHanko.validate(path, trust: [gateway.developmentCertificate.path])
                #expect(pyhanko.isValid(signatures: 1), "\(pyhanko.output)")
                if index == 3 {
                    // The visible one: its widget where the client asked, drawn on page 1.
                    try ws.write("original-\(index).pdf", [UInt8](original))
                    try VisibleWidget.expect(
                        original: ws.path("original-\(index).pdf"), signed: path, page: 1,
                        rect: [72, 100, 272, 150], ws: ws)
                }
                let attributes = try await Shell.check(
                    "python", [Shell.packageRoot.appendingPathComponent("Tests/tools/pades_attributes.py").path, path]
                ).stdout
                #expect(
                    attributes.contains(
                        #""signed": ["1.2.840.113549.1.9.16.2.47", "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4"]"#),
                    "\(attributes)")
                #expect(attributes.contains(#""subFilter": "ETSI.CAdES.detached""#))
            }
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func applyTimestampThroughTheServiceMakesBT() async throws {
        let tsa = try TimestampServer()
        defer { tsa.stop() }
        let gateway = try GatewayProcess(localSigners: 1, extraArguments: ["--tsa-url", tsa.url])
        try await gateway.waitUntilReady()
        let ws = try Workspace()
        do {
            let original = Data(SamplePDF.page(showing: "Invoice T"))
            let body = try JSONSerialization.data(withJSONObject: [
                "returnSignedContent": true,
                "documents": [
                    [
                        "documentRequest": [
                            "name": "t.pdf", "contentType": "application/pdf",
                            "base64Content": original.base64EncodedString(),
                        ],
                        "signatureInfo": ["signatureType": "PAdES", "applyTimestamp": true],
                    ]
                ],
            ])
            let answer = try await gateway.request(
                .POST, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/", body: body)
            let entry = try #require((answer.json["documentList"] as? [[String: Any]])?.first)
            #expect(entry["signStatus"] as? String == "SIGNED", "\(entry)")
            let signed = try #require(Data(base64Encoded: entry["signedContent"] as? String ?? ""))
            try signed.write(to: URL(fileURLWithPath: ws.path("bt.pdf")))
            let validation = try PyHanko.validate(
                ws.path("bt.pdf"), trust: [gateway.developmentCertificate.path, tsa.certificate.path], prettyPrint: true
            )
            #expect(validation.isValid(signatures: 1), "\(validation.output)")
            #expect(
                validation.output.contains("The timestamp token is cryptographically sound."), "\(validation.output)")
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }
}
