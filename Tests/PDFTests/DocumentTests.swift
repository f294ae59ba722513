import Foundation
import TestSupport
import Testing

@testable import PDF

/// Reading structures and the shape of the incremental update, with this module's own reader.
@Suite(.timeLimit(.minutes(5)))
struct DocumentTests {
    let request = PDFSignatureRequest(signingTime: signingTime, signerName: "Unit", contentsCapacity: 256)

    @Test(arguments: [SamplePDF.XRef.table, .stream, .hybrid])
    func readsEveryXRefKind(_ kind: SamplePDF.XRef) throws {
        let document = try PDFDocument(bytes: SamplePDF().build(xref: kind))
        #expect(document.lastKind == (kind == .stream ? .stream : .table))
        let font = try document.resolveDict(.ref(PDFRef(num: 5, gen: 0)))
        #expect(font?["BaseFont"]?.name == "Helvetica")
        let page = try document.resolveDict(.ref(PDFRef(num: 3, gen: 0)))
        #expect(page?["Type"]?.name == "Page")
    }

    @Test func junkBeforeHeaderUsesHeaderRelativeOffsets() throws {
        let document = try PDFDocument(bytes: SamplePDF(junk: "GARBAGE\n").build(xref: .stream))
        #expect(document.headerOffset == 8 && document.offsetDelta == 8)
        #expect(try document.resolveDict(.ref(PDFRef(num: 3, gen: 0)))?["Type"]?.name == "Page")
    }

    @Test func newestEntryWinsAlongPrev() throws {
        var pdf = SamplePDF().build(xref: .table)
        let previous = try PDFDocument(bytes: pdf).startxref
        let objectAt = pdf.count
        pdf += Array("5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>\nendobj\n".utf8)
        let xrefAt = pdf.count
        pdf += Array(String(format: "xref\n5 1\n%010d 00000 n\r\n", objectAt).utf8)
        pdf += Array("trailer\n<< /Size 6 /Root 1 0 R /Prev \(previous) >>\nstartxref\n\(xrefAt)\n%%EOF\n".utf8)
        let document = try PDFDocument(bytes: pdf)
        #expect(try document.resolveDict(.ref(PDFRef(num: 5, gen: 0)))?["BaseFont"]?.name == "Courier")
        #expect(try document.resolveDict(.ref(PDFRef(num: 3, gen: 0)))?["Type"]?.name == "Page")
    }

    @Test func updateShapeForTableFile() throws {
        let input = SamplePDF().build(xref: .table)
        let prepared = try PDFSigner.prepare(input, request)
        #expect(Array(prepared.bytes.prefix(input.count)) == input)
        let tail = String(decoding: prepared.bytes[input.count...], as: UTF8.self)
        #expect(
            tail.hasPrefix("6 0 obj\n<</Type /Sig/Filter /Adobe.PPKLite/SubFilter /ETSI.CAdES.detached/ByteRange [0 "))
        #expect(tail.contains("/M (D:20260921"))
        #expect(tail.contains("/FT /Sig/F 132/Rect [0 0 0 0]/P 3 0 R/V 6 0 R/T (Signature1)"))
        #expect(tail.contains("/AcroForm <</Fields [7 0 R]/SigFlags 3>>"))
        #expect(tail.contains("trailer\n<</Size 8/Root 1 0 R/ID ["))
        let r = prepared.byteRange
        #expect(prepared.bytes[r[1]] == UInt8(ascii: "<") && prepared.bytes[r[2] - 1] == UInt8(ascii: ">"))
        #expect(r[2] - r[1] == 2 * 256 + 2 && r[2] + r[3] == prepared.bytes.count)
        #expect(prepared.signedData().count == prepared.bytes.count - (r[2] - r[1]))
        let patched = String(decoding: prepared.bytes[(r[1] - 64)..<r[1]], as: UTF8.self)
        #expect(patched.contains("/ByteRange [0 \(r[1]) \(r[2]) \(r[3])"))
    }

    @Test func noFinalEOLGetsANewlineBeforeTheUpdate() throws {
        let input = SamplePDF(finalEOL: false).build(xref: .table)
        #expect(input.last == UInt8(ascii: "F"))
        let prepared = try PDFSigner.prepare(input, request)
        #expect(prepared.bytes[input.count] == 0x0A)
    }

    @Test func indirectAnnotsAndFieldsArraysAreRewrittenInPlace() throws {
        var pdf = SamplePDF()
        pdf.pageExtra = " /Annots 6 0 R"
        pdf.catalogExtra = " /AcroForm 7 0 R"
        pdf.extraObjects = [
            "[]", "<< /Fields 8 0 R /DA (/Helv 0 Tf 0 g) >>", "[9 0 R]",
            "<< /FT /Sig /T (Signature1) /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>",
        ]
        let input = pdf.build(xref: .table)
        let prepared = try PDFSigner.prepare(input, request)
        let tail = String(decoding: prepared.bytes[input.count...], as: UTF8.self)
        #expect(tail.contains("6 0 obj\n[11 0 R]"))
        #expect(tail.contains("8 0 obj\n[9 0 R 11 0 R]"))
        #expect(tail.contains("7 0 obj\n<</Fields 8 0 R/DA (/Helv 0 Tf 0 g)/SigFlags 3>>"))
        #expect(!tail.contains("\n3 0 obj") && !tail.contains("\n1 0 obj"), "page and catalog stay untouched")
        #expect(tail.contains("/T (Signature2)"), "field names stay unique")
    }

    @Test func xrefStreamFileGetsAnXRefStreamUpdate() throws {
        let input = SamplePDF().build(xref: .stream)
        let prepared = try PDFSigner.prepare(input, request)
        let tail = String(decoding: prepared.bytes[input.count...], as: UTF8.self)
        #expect(tail.contains("/Type /XRef/W [1 "))
        #expect(!tail.contains("trailer"))
        // Object 3 lived in an object stream; it is rewritten as a plain object.
        #expect(tail.contains("\n3 0 obj\n<</Type /Page"))
        let again = try PDFDocument(bytes: prepared.bytes)
        #expect(again.lastKind == .stream)
        let page = try again.resolveDict(.ref(PDFRef(num: 3, gen: 0)))
        #expect(page?["Annots"]?.array?.count == 1)
    }

    @Test func placeholderPositionUsesStandardWidthsAndMatrices() throws {
        var pdf = SamplePDF()
        pdf.content =
            "q 1 0 0 1 10 20 cm BT /F1 10 Tf 2 0 0 2 50 100 Tm [(A) -1000 (B)] TJ 0 -5 Td (x SIGNHERE) Tj ET Q"
        var r = request
        r.visible = .placeholder(word: "SIGNHERE", width: 100, height: 30)
        let prepared = try PDFSigner.prepare(pdf.build(xref: .table), r)
        let document = try PDFDocument(bytes: prepared.bytes)
        let page = try #require(try document.resolveDict(.ref(PDFRef(num: 3, gen: 0))))
        let widget = try #require(try document.resolveDict(page["Annots"]?.array?.first))
        let rect = (widget["Rect"]?.array ?? []).compactMap { $0.number }
        try #require(rect.count == 4)
        // Td moves the line start (50,100) by (0,-5) in text space scaled by 2 -> y 90; then
        // "x " is 500+278 thousandths of 10pt, times 2; plus the cm translation (10,20).
        #expect(abs(rect[0] - (10 + 50 + 2 * 7.78)) < 0.001)
        #expect(abs(rect[1] - (20 + 90)) < 0.001)
    }
}
