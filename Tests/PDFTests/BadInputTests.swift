import Foundation
import TestSupport
import Testing

@testable import PDF

/// Every class of bad input gets its own stable error code, never a crash.
struct BadInputTests {
    let request = PDFSignatureRequest(signingTime: signingTime, contentsCapacity: 1024)

    func code(_ bytes: [UInt8], _ request: PDFSignatureRequest? = nil) -> String? {
        do {
            _ = try PDFSigner.prepare(bytes, request ?? self.request)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func empty() {
        #expect(code([]) == "EMPTY_DOCUMENT")
        #expect(code(Array(" \n\r\n".utf8)) == "EMPTY_DOCUMENT")
    }

    @Test func notAPDF() {
        #expect(code(Array("hello world, this is text".utf8)) == "NOT_A_PDF")
        #expect(code([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == "NOT_A_PDF")
        #expect(code(Array(repeating: UInt8(ascii: "x"), count: 2000) + Array("%PDF-1.4".utf8)) == "NOT_A_PDF")
    }

    @Test func truncated() {
        let pdf = HandmadePDF().build(xref: .table)
        #expect(code(Array(pdf.prefix(pdf.count / 2))) == "PDF_TRUNCATED")
        #expect(code(Array(pdf.dropLast(7))) == "PDF_TRUNCATED")  // no %%EOF
        let beyond = replacingLast(pdf, "startxref\n", with: "startxref\n99999")
        #expect(code(beyond) == "PDF_TRUNCATED")
    }

    @Test func truncatedXRefStream() {
        let pdf = HandmadePDF().build(xref: .stream)
        #expect(code(Array(pdf.prefix(pdf.count - 40))) == "PDF_TRUNCATED")
    }

    @Test func badXRefPointer() {
        let pdf = HandmadePDF().build(xref: .table)
        #expect(code(replacingLast(pdf, "startxref\n", with: "startxref\n20\n%%EOF\n%")) == "PDF_BAD_XREF")
    }

    @Test func corruptXRefStream() throws {
        var pdf = HandmadePDF().build(xref: .stream)
        let marker = try #require(ByteSearch.findLast(Array("/Type /XRef".utf8), in: pdf))
        let data = try #require(ByteSearch.find(Array("stream\n".utf8), in: pdf, from: marker)) + 7
        for i in data..<(data + 8) { pdf[i] ^= 0x5A }
        #expect(code(pdf) == "PDF_BAD_XREF")
    }

    @Test func badRequest() {
        var r = request
        r.contentsCapacity = 0
        #expect(code(HandmadePDF().build(xref: .table), r) == "PDF_BAD_REQUEST")
    }

    @Test func prevCycleAndPrevOutside() throws {
        let pdf = HandmadePDF().build(xref: .table)
        let start = pdf.count
        let cycle =
            pdf
            + Array("xref\n0 0\ntrailer\n<< /Size 6 /Root 1 0 R /Prev \(start) >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        #expect(code(cycle) == "PDF_BAD_XREF")
        let outside =
            pdf + Array("xref\n0 0\ntrailer\n<< /Size 6 /Root 1 0 R /Prev 999999 >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        #expect(code(outside) == "PDF_BAD_XREF")
    }

    @Test func malformedStructures() {
        var noPages = HandmadePDF()
        noPages.catalogExtra = " /Pages 1 0 R"  // duplicate key: /Pages now points at the catalog itself
        #expect(code(noPages.build(xref: .table)) == "PDF_MALFORMED")
        var kidsCycle = HandmadePDF()
        kidsCycle.pageExtra = " /Type /Pages /Kids [2 0 R]"
        #expect(code(kidsCycle.build(xref: .table)) == "PDF_MALFORMED")
        let noRoot = replacingLast(HandmadePDF().build(xref: .table), "/Root 1 0 R", with: "/Info 1 0 R")
        #expect(code(noRoot) == "PDF_MALFORMED")
        var deep = HandmadePDF()
        deep.catalogExtra = " /Deep " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(code(deep.build(xref: .table)) == "PDF_MALFORMED")
    }

    @Test func encrypted() throws {
        let ws = try Workspace()
        _ = try Producer.ghostscript.make(in: ws)
        try Shell.check("qpdf", ["--encrypt", "user", "owner", "256", "--", ws.path("gs.pdf"), ws.path("enc.pdf")])
        #expect(code(try ws.read("enc.pdf")) == "PDF_ENCRYPTED")
        try Shell.check(
            "qpdf", ["--encrypt", "", "owner", "128", "--use-aes=y", "--", ws.path("gs.pdf"), ws.path("enc2.pdf")])
        #expect(code(try ws.read("enc2.pdf")) == "PDF_ENCRYPTED")
    }

    @Test func badVisibleSignature() {
        let pdf = HandmadePDF().build(xref: .table)
        for visible: VisibleSignature in [
            .coordinates(page: 0, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: 2, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 10, y: 10, width: -100, height: 40),
            .coordinates(page: 1, x: .nan, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 10, y: .infinity, width: 100, height: 40),
            .coordinates(page: 1, x: 600, y: 10, width: 100, height: 40),
            .placeholder(word: "SIGNHERE", width: 0, height: 40),
        ] {
            var r = request
            r.visible = visible
            #expect(code(pdf, r) == "PDF_BAD_VISIBLE_SIGNATURE", "\(visible)")
        }
    }

    @Test func fieldNotFound() {
        var withText = HandmadePDF()
        withText.catalogExtra = " /AcroForm << /Fields [6 0 R] >>"
        withText.extraObjects = ["<< /FT /Tx /T (Name) /Rect [0 0 10 10] /Subtype /Widget /P 3 0 R >>"]
        let pdf = withText.build(xref: .table)
        var r = request
        r.visible = .field(name: "Missing")
        #expect(code(pdf, r) == "PDF_FIELD_NOT_FOUND")
        r.visible = .field(name: "Name")
        #expect(code(pdf, r) == "PDF_FIELD_NOT_FOUND")  // not a signature field
    }

    @Test func placeholderNotFound() {
        var r = request
        r.visible = .placeholder(word: "ABSENT", width: 100, height: 30)
        #expect(code(HandmadePDF().build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // Split across two show operators.
        var split = HandmadePDF()
        split.content = "BT /F1 12 Tf 72 700 Td (SIGN) Tj (HERE) Tj ET"
        r.visible = .placeholder(word: "SIGNHERE", width: 100, height: 30)
        #expect(code(split.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // CID (Type0) font: codes are not characters.
        var cid = HandmadePDF()
        cid.fontDict = "<< /Type /Font /Subtype /Type0 /BaseFont /Foo /Encoding /Identity-H /DescendantFonts [] >>"
        cid.content = "BT /F1 12 Tf 72 700 Td (SIGNHERE) Tj ET"
        #expect(code(cid.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // Mid-string in a font without known widths: the position would be a guess.
        var unknownWidths = HandmadePDF()
        unknownWidths.fontDict = "<< /Type /Font /Subtype /TrueType /BaseFont /Foo >>"
        unknownWidths.content = "BT /F1 12 Tf 72 700 Td (Please SIGNHERE) Tj ET"
        #expect(code(unknownWidths.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // After text of unknown width with no new positioning.
        unknownWidths.content = "BT /F1 12 Tf 72 700 Td (Please) Tj (SIGNHERE) Tj ET"
        #expect(code(unknownWidths.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
    }

    @Test func certifiedWithNoChangesAllowed() {
        var locked = HandmadePDF()
        locked.catalogExtra = " /Perms << /DocMDP 6 0 R >>"
        locked.extraObjects = [
            "<< /Type /Sig /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /P 1 /V /1.2 >> >>] >>"
        ]
        #expect(code(locked.build(xref: .table)) == "PDF_MALFORMED")
    }

    @Test func contentsTooSmall() throws {
        var prepared = try PDFSigner.prepare(HandmadePDF().build(xref: .table), request)
        #expect(throws: PDFError.self) { try prepared.embed(cms: [UInt8](repeating: 1, count: 1025)) }
        try prepared.embed(cms: [UInt8](repeating: 1, count: 1024))
    }
}

/// Replaces the last occurrence of `marker` and everything after it with `replacement`.
func replacingLast(_ bytes: [UInt8], _ marker: String, with replacement: String) -> [UInt8] {
    guard let at = ByteSearch.findLast(Array(marker.utf8), in: bytes) else { return bytes }
    return Array(bytes[..<at]) + Array(replacement.utf8)
        + (marker.hasPrefix("startxref") ? [] : Array(bytes[(at + marker.utf8.count)...]))
}
