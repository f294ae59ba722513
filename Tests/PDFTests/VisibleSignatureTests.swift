import Foundation
import TestSupport
import Testing

@testable import PDF

/// Visible signatures: placeholder words, existing fields and the appearance stream.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct VisibleSignatureTests {
    static let placeholderProducers: [Producer] = [
        .ghostscript, .reportlab, .qpdfObjectStreams, .qpdfQDF, .qpdfLinearized, .handmadeTable, .handmadeXRefStream,
    ]

    @Test(arguments: placeholderProducers)
    func placeholderMatchesPopplersWordBox(_ producer: Producer) throws {
        let ws = try Workspace()
        let input = try producer.make(in: ws)
        try ws.write("in.pdf", input)
        let word = try #require(WordBoxes(path: ws.path("in.pdf"), ws: ws).boxes.first { $0.word.contains("SIGNHERE") })
        let request = PDFSignatureRequest(
            signingTime: signingTime, signerName: "Placeholder Signer", contentsCapacity: 4096,
            visible: .placeholder(word: "SIGNHERE", width: 150, height: 40))
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(try PDFSigner.prepare(input, request))
        try verifier.expectValid(original: input, signed: signed)
        let widget = try #require(QPDFJSON(path: ws.path("out.pdf")).signatureWidgets()["Signature1"])
        let rect = QPDFJSON.rect(widget)
        try #require(rect.count == 4)
        // Poppler's box starts at the word when the word is the whole token.
        if word.word == "SIGNHERE" { #expect(abs(rect[0] - word.xMin) < 0.5, "\(rect) vs \(word)") }
        #expect(
            rect[1] >= word.yBottom - 0.5 && rect[1] <= word.yTop, "baseline inside the word box: \(rect) vs \(word)")
        #expect(abs(rect[2] - rect[0] - 150) < 0.01 && abs(rect[3] - rect[1] - 40) < 0.01)
        #expect(widget["/AP"] != nil)
        try VisibleWidget.expect(
            original: ws.path("in.pdf"), signed: ws.path("out.pdf"), page: word.page, rect: nil, ws: ws)
    }

    @Test func existingFieldFromPyHanko() throws {
        let ws = try Workspace()
        let input = try Producer.pyhankoIncremental.make(in: ws)
        let request = PDFSignatureRequest(
            signingTime: signingTime, signerName: "Field Signer", contentsCapacity: 4096,
            visible: .field(name: "Approval"))
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(try PDFSigner.prepare(input, request))
        try verifier.expectValid(original: input, signed: signed)
        let report = try verifier.check()
        #expect(report.log.contains("Signature Field Name: Approval"))
        let fields = try QPDFJSON(path: ws.path("out.pdf")).signatureWidgets()
        #expect(fields.count == 1, "no new field is created")
        let field = try #require(fields["Approval"])
        #expect(QPDFJSON.rect(field) == [300, 100, 500, 160])
        #expect(field["/AP"] != nil && field["/V"] != nil)
        try ws.write("in.pdf", input)
        try VisibleWidget.expect(
            original: ws.path("in.pdf"), signed: ws.path("out.pdf"), field: "Approval", page: 1,
            rect: [300, 100, 500, 160], ws: ws)
    }

    @Test func nestedFieldByFullAndPartialName() throws {
        var pdf = SamplePDF()
        pdf.catalogExtra = " /AcroForm 6 0 R"
        pdf.pageExtra = " /Annots [8 0 R]"
        pdf.extraObjects = [
            "<< /Fields [7 0 R] >>",
            "<< /T (Sigs) /FT /Sig /Kids [8 0 R] >>",
            "<< /T (Client) /Parent 7 0 R /Type /Annot /Subtype /Widget /Rect [100 100 300 150] /P 3 0 R /F 4 >>",
        ]
        for name in ["Sigs.Client", "Client"] {
            let ws = try Workspace()
            let input = pdf.build(xref: .stream)
            let request = PDFSignatureRequest(
                signingTime: signingTime, signerName: "Ünïcödé Name", contentsCapacity: 4096,
                visible: .field(name: name))
            let verifier = try Verifier(ws)
            let signed = try verifier.sign(try PDFSigner.prepare(input, request))
            try verifier.expectValid(original: input, signed: signed)
            #expect(try verifier.check().log.contains("Signature Field Name: Sigs.Client"))
            try ws.write("in.pdf", input)
            try VisibleWidget.expect(
                original: ws.path("in.pdf"), signed: ws.path("out.pdf"), field: "Client", page: 1,
                rect: [100, 100, 300, 150], ws: ws)
        }
    }

    @Test func certifiedDocumentAllowingSignaturesKeepsBothValidWhenInvisible() throws {
        let ws = try Workspace()
        let identity = try TestIdentity(ws)
        _ = try Producer.ghostscript.make(in: ws)
        try Shell.check(
            "pyhanko",
            [
                "sign", "addsig", "--certify", "--field", "Author", "pemder", "--key", identity.key, "--cert",
                identity.cert,
                "--no-pass", ws.path("gs.pdf"), ws.path("certified.pdf"),
            ])
        let input = try ws.read("certified.pdf")
        // Invisible: pyHanko deliberately rejects *new visible* signature fields after a
        // certification signature ("stricter than Acrobat", SigFieldCreationRule).
        let request = PDFSignatureRequest(signingTime: signingTime, signerName: "Approver", contentsCapacity: 4096)
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(try PDFSigner.prepare(input, request))
        try verifier.expectValid(original: input, signed: signed, signatures: 2)
    }

    @Test func secondSignatureKeepsTheFirstValid() throws {
        let ws = try Workspace()
        let input = try Producer.pyhankoSigned.make(in: ws)
        let request = PDFSignatureRequest(
            signingTime: signingTime, signerName: "Second", contentsCapacity: 4096,
            visible: .coordinates(page: 2, x: 300, y: 300, width: 200, height: 60))
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(try PDFSigner.prepare(input, request))
        try verifier.expectValid(original: input, signed: signed, signatures: 2)
        let validate = try PyHanko.validate(ws.path("out.pdf"), trust: [verifier.identity.cert], prettyPrint: true)
        #expect(validate.isValid(signatures: 2), "\(validate.output)")
        #expect(validate.output.contains("Earlier") && validate.output.contains("Signature1"), "\(validate.output)")
        try ws.write("in.pdf", input)
        try VisibleWidget.expect(
            original: ws.path("in.pdf"), signed: ws.path("out.pdf"), page: 2, rect: [300, 300, 500, 360], ws: ws)
        // Signing the already signed field again is refused.
        var again = request
        again.visible = .field(name: "Earlier")
        #expect(errorCode { _ = try PDFSigner.prepare(input, again) } == "PDF_FIELD_NOT_FOUND")
    }
}

/// Pages turned by /Rotate: coordinates are on the page as displayed, the widget lands there
/// (checked in poppler's rendering) and its appearance is turned back to read upright.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RotatedPageTests {
    /// Widget /Rect in user space of Ghostscript's A4 page (595 × 842) for x=72, y=100, 200 × 50
    /// as displayed.
    static let expected: [Int: [Double]] = [
        90: [445, 72, 495, 272], 180: [323, 692, 523, 742], 270: [100, 570, 150, 770],
    ]

    @Test(arguments: [90, 180, 270])
    func coordinatesFollowTheDisplayedPage(_ rotation: Int) throws {
        let ws = try Workspace()
        _ = try Producer.ghostscript.make(in: ws)
        try Shell.check("qpdf", ["--rotate=+\(rotation):1", ws.path("gs.pdf"), ws.path("rotated.pdf")])
        let input = try ws.read("rotated.pdf")
        let request = PDFSignatureRequest(
            signingTime: signingTime, signerName: "Test Signer", contentsCapacity: 4096,
            visible: .coordinates(page: 1, x: 72, y: 100, width: 200, height: 50))
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(try PDFSigner.prepare(input, request))
        try verifier.expectValid(original: input, signed: signed)
        let widget = try #require(QPDFJSON(path: ws.path("out.pdf")).signatureWidgets()["Signature1"])
        #expect(QPDFJSON.rect(widget) == Self.expected[rotation])
        try VisibleWidget.expect(
            original: ws.path("rotated.pdf"), signed: ws.path("out.pdf"), page: 1, rect: Self.expected[rotation],
            displayed: (72, 100, 200, 50), ws: ws)

        // poppler draws the box's left edge at x = 72 from the displayed left, between 100 and 150 from the bottom.
        let image = try PageImage.render(ws.path("out.pdf"), page: 1, dpi: 72, in: ws)
        #expect(abs(image.width - (rotation == 180 ? 595 : 842)) <= 1)
        let column = (0..<image.width).filter { x in (x >= 70 && x <= 74) }
        let rows = (image.height - 145)...(image.height - 105)
        let darkEdge = column.contains { x in rows.allSatisfy { image.isDark(x: x, y: $0) } }
        #expect(darkEdge, "no box edge at x=72 in the rendering")
    }
}
