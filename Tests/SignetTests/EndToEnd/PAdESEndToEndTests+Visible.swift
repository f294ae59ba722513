import Foundation
import TestSupport
import Testing

/// Visible signatures asked for exactly as a Sign'Stash client asks (SIGNSTASH.md's
/// `visibleSignatureInfo` table), through the compatible synchronous path of a running gateway
/// and its signers: each `locationType`, string `area` and `font`, a background, `templateType`
/// both ways (with the client service's own template from client-services-config.json), a PNG
/// and a JPEG, a request without `area`, and a placeholder that is not there. Checked by pdfsig,
/// pyHanko, qpdf and poppler (widget, pixels by region, text).
extension PAdESEndToEndTests {
    static let aliceTemplate =
        "Approved for ACME by $certificate.getCommonName()\nSerial: $certificate.getSerialNumber()"

    /// A one-page sample with an empty signature field `Approval` at [300 100 500 160].
    static func pdfWithSignatureField() -> [UInt8] {
        var sample = SamplePDF()
        sample.content = "BT /F1 24 Tf 72 720 Td (Please approve) Tj ET"
        sample.pageExtra = " /Annots [6 0 R]"
        sample.catalogExtra = " /AcroForm << /Fields [6 0 R] >>"
        sample.extraObjects = [
            "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Approval) /Rect [300 100 500 160] /P 3 0 R /F 4 >>"
        ]
        return sample.build(xref: .table)
    }

    @Test func signStashVisibleSignaturesAreDrawnWhereAndAsAsked() async throws {
        let gateway = try GatewayProcess(localSigners: 2) { ws in
            let config: [String: Any] = [
                "alice": ["secret": "alice-secret", "visibleSignatureTemplate": Self.aliceTemplate],
                "bob": ["secret": "bob-secret"],
            ]
            try JSONSerialization.data(withJSONObject: config).write(to: ws.url("work/client-services-config.json"))
        }
        try await gateway.waitUntilReady(signers: 2)
        let ws = try Workspace()
        do {
            try await Shell.check(
                "python",
                [Shell.packageRoot.appendingPathComponent("Tests/tools/signature_images.py").path, ws.path("images")])
            let png = Data(try ws.read("images/rgba8.png")).base64EncodedString()
            let jpeg = Data(try ws.read("images/jpeg-rgb.jpg")).base64EncodedString()
            let subject = try await Shell.check(
                "openssl",
                ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", gateway.developmentCertificate.path]
            ).stdout
            let commonName = try #require(
                subject.split(separator: ",").first { $0.contains("CN=") }?.components(separatedBy: "CN=").last?
                    .trimmingCharacters(in: .whitespacesAndNewlines))

            let placeholderPDF = SamplePDF().build(xref: .table)  // shows "Hello SIGNHERE"
            let documents: [([UInt8], [String: Any])] = [
                (
                    SamplePDF.page(showing: "Invoice V0"),
                    [
                        "locationType": "COORDINATE", "locationValue": "page=1,x=70,y=100",
                        "area": "width=400,height=80",
                        "areaBackgroundColor": "#CCE5FF", "font": "color=#000080,size=11,name=arial",
                        "templateType": "ONE_OFF",
                        "oneOffTemplate":
                            "Digitally signed by $certificate.getCommonName() on $date.get('yyyy-MM-dd').",
                        "imageType": "IMAGE_PNG", "imageValue": png,
                    ]
                ),
                (
                    placeholderPDF,
                    [
                        "locationType": "PLACEHOLDER", "locationValue": "SIGNHERE", "area": "width=180,height=60",
                        "templateType": "SERVICE_CUSTOMIZATION", "imageType": "IMAGE_JPG", "imageValue": jpeg,
                    ]
                ),
                (Self.pdfWithSignatureField(), ["locationType": "SIGN_FIELD", "locationValue": "Approval"]),
                (
                    SamplePDF.page(showing: "Invoice V3"),
                    ["locationType": "COORDINATE", "locationValue": "page=1,x=72,y=100"]
                ),
                (placeholderPDF, ["locationType": "PLACEHOLDER", "locationValue": "ABSENT"]),
            ]
            let body = try JSONSerialization.data(withJSONObject: [
                "externalReference": "visible-1", "description": "visible signatures", "returnSignedContent": true,
                "documents": documents.enumerated().map { index, document in
                    [
                        "documentRequest": [
                            "externalReference": "visible-1-\(index)", "name": "doc\(index).pdf",
                            "contentType": "application/pdf", "base64Content": Data(document.0).base64EncodedString(),
                        ],
                        "signatureInfo": [
                            "signatureType": "PAdES", "reason": "Approval", "location": "Lyon", "applyTimestamp": false,
                            "visibleSignatureInfo": document.1,
                        ],
                    ] as [String: Any]
                },
            ])
            let answer = try await gateway.request(
                .POST, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/", body: body)
            #expect(answer.status == 200, "\(answer.json)")
            let list = try #require(answer.json["documentList"] as? [[String: Any]], "\(answer.json)")
            try #require(list.count == documents.count)

            // The absent placeholder fails that document alone, with its own code.
            #expect(list[4]["signStatus"] as? String == "ERROR_SIGNING", "\(list[4])")
            let codes = [list[4]["signError"], list[4]["signErrorDetail"]].compactMap { $0 as? String }
            #expect(codes.contains("PDF_PLACEHOLDER_NOT_FOUND"), "\(list[4])")

            let pages = (0..<4).map { "doc\($0)" }
            for (index, name) in pages.enumerated() {
                #expect(list[index]["signStatus"] as? String == "SIGNED", "\(name): \(list[index])")
                let signed = try #require(Data(base64Encoded: list[index]["signedContent"] as? String ?? ""), "\(name)")
                try ws.write("\(name).pdf", [UInt8](signed))
                try ws.write("\(name)-in.pdf", documents[index].0)
                let pdfsig = try PDFSig.check(ws.path("\(name).pdf"))
                #expect(pdfsig.signatures == 1 && pdfsig.valid == 1, "\(name): \(pdfsig.output)")
                let pyhanko = try PyHanko.validate(ws.path("\(name).pdf"), trust: [gateway.developmentCertificate.path])
                #expect(pyhanko.isValid(signatures: 1), "\(name): \(pyhanko.output)")
                #expect(try await Shell.run("qpdf", ["--check", ws.path("\(name).pdf")]).status == 0, "\(name)")
            }

            // Where: each widget's /Rect, on page 1, drawn; nothing else on the page changed.
            let expected: [(field: String, rect: [Double]?)] = [
                ("Signature1", [70, 100, 470, 180]), ("Signature1", nil), ("Approval", [300, 100, 500, 160]),
                // No `area`: the default 200 × 50, visible.
                ("Signature1", [72, 100, 272, 150]),
            ]
            var rects: [[Double]] = []
            for (index, name) in pages.enumerated() {
                let rect = try VisibleWidget.expect(
                    original: ws.path("\(name)-in.pdf"), signed: ws.path("\(name).pdf"), field: expected[index].field,
                    page: 1, rect: expected[index].rect, ws: ws)
                rects.append(rect)
                let before = try PageColors.render(ws.path("\(name)-in.pdf"), page: 1, in: ws)
                let after = try PageColors.render(ws.path("\(name).pdf"), page: 1, in: ws)
                #expect(
                    after.differingPixels(from: before, outside: rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1])
                        == 0, "\(name): pixels changed outside the signature")
            }
            #expect(abs(rects[1][2] - rects[1][0] - 180) < 0.01 && abs(rects[1][3] - rects[1][1] - 60) < 0.01)

            // What: colours (image halves, background, text colour) and text.
            let red = PageColors.RGB(255, 0, 0)
            let blue = PageColors.RGB(0, 0, 255)
            let background = PageColors.RGB(0xCC, 0xE5, 0xFF)
            let checks: [(Int, [(x: Double, y: Double, color: PageColors.RGB)])] = [
                // PNG 40 × 20 → 144 × 72 points at (4, 4), its right half transparent.
                (0, [(40, 40, red), (112, 40, background), (392, 6, background)]),
                // JPEG → 86 × 43 points at (4, 8.5) in the 180 × 60 area.
                (1, [(25.5, 30, red), (68.5, 30, blue)]),
            ]
            for (index, points) in checks {
                let page = try PageColors.render(ws.path("doc\(index).pdf"), page: 1, in: ws)
                for (dx, dy, color) in points {
                    let seen = page.color(x: rects[index][0] + dx, y: rects[index][1] + dy)
                    #expect(seen.isClose(to: color), "doc\(index) at (\(dx), \(dy)): \(seen), expected \(color)")
                }
            }
            let first = try PageColors.render(ws.path("doc0.pdf"), page: 1, in: ws)
            let navy = first.count(in: 70, 100, 400, 80) { $0.isClose(to: PageColors.RGB(0, 0, 128), tolerance: 30) }
            #expect(navy > 20, "the text is drawn in the font colour asked for: \(navy) pixels")
            let texts: [[String]] = [
                ["Digitally signed by \(commonName) on 20"],
                ["Approved for ACME by \(commonName)", "Serial:"],
                ["Signed by \(commonName)", "Date: 20"],
                ["Signed by \(commonName)", "Date: 20"],
            ]
            for (index, phrases) in texts.enumerated() {
                let rect = rects[index]
                let text = try PDFText.inside(
                    ws.path("doc\(index).pdf"), x: rect[0], y: rect[1], width: rect[2] - rect[0],
                    height: rect[3] - rect[1], pageHeight: 792)
                for phrase in phrases {
                    #expect(text.contains(phrase), "doc\(index): '\(phrase)' not in '\(text)'")
                }
            }
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }
}
