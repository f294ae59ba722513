import Foundation
import TestSupport
import Testing

@testable import PDF

/// Visible signatures: placeholder words, existing fields and the appearance stream.
@Suite(.serialized)
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
    }

    @Test func nestedFieldByFullAndPartialName() throws {
        var pdf = HandmadePDF()
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
        let validate = try Shell.run(
            "pyhanko",
            [
                "sign", "validate", "--no-revocation-check", "--trust", verifier.identity.cert, "--trust-replace",
                "--pretty-print", ws.path("out.pdf"),
            ])
        #expect(validate.status == 0, "\(validate.output)")
        #expect(validate.stdout.contains("Earlier") && validate.stdout.contains("Signature1"), "\(validate.output)")
        // Signing the already signed field again is refused.
        var again = request
        again.visible = .field(name: "Earlier")
        #expect(throws: PDFError.self) { try PDFSigner.prepare(input, again) }
    }
}
