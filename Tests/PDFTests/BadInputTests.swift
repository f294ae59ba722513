import Foundation
import TestSupport
import Testing

@testable import PDF

/// Every class of bad input gets its own stable error code, never a crash.
@Suite(.timeLimit(.minutes(5)))
struct BadInputTests {
    let request = PDFSignatureRequest(signingTime: signingTime, contentsCapacity: 1024)

    func code(_ bytes: [UInt8], _ request: PDFSignatureRequest? = nil) -> String? {
        error(bytes, request)?.code
    }

    func error(_ bytes: [UInt8], _ request: PDFSignatureRequest? = nil, limits: PDFLimits = PDFLimits()) -> PDFError? {
        do {
            _ = try PDFSigner.prepare(bytes, request ?? self.request, limits: limits)
            return nil
        } catch {
            return error
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
        let pdf = SamplePDF().build(xref: .table)
        #expect(code(Array(pdf.prefix(pdf.count / 2))) == "PDF_TRUNCATED")
        #expect(code(Array(pdf.dropLast(7))) == "PDF_TRUNCATED")  // no %%EOF
        #expect(error(Array(pdf.dropLast(7)))?.message.contains("no %%EOF") == true)
        let beyond = replacingLast(pdf, "startxref\n", with: "startxref\n99999\n%%EOF\n")
        let beyondError = error(beyond)
        #expect(beyondError?.code == "PDF_TRUNCATED")
        #expect(beyondError?.message.contains("points beyond the data") == true, "\(String(describing: beyondError))")
    }

    @Test func truncatedXRefStream() {
        let pdf = SamplePDF().build(xref: .stream)
        #expect(code(Array(pdf.prefix(pdf.count - 40))) == "PDF_TRUNCATED")
    }

    @Test func badXRefPointer() {
        let pdf = SamplePDF().build(xref: .table)
        let pointer = error(replacingLast(pdf, "startxref\n", with: "startxref\n20\n%%EOF\n%"))
        #expect(pointer?.code == "PDF_BAD_XREF")
        #expect(pointer?.message.contains("does not point at an xref") == true, "\(String(describing: pointer))")
    }

    /// A startxref a few bytes off: strict readers cannot open the file (nor what we would append
    /// to it), so it is refused rather than repaired (docs/pdf.md).
    @Test(arguments: [-3, -1, 1, 2])
    func startxrefAFewBytesOffIsRefused(_ offset: Int) throws {
        let pdf = HostilePDF.startxrefOff(by: offset)
        let refused = error(pdf)
        #expect(refused?.code == "PDF_BAD_XREF")
        #expect(refused?.message.contains("does not point at an xref") == true, "\(String(describing: refused))")
        let ws = try Workspace()
        try ws.write("off.pdf", pdf)
        // Why: qpdf only reads it with warnings (so `qpdf --check` fails), and pyHanko cannot
        // open it at all unless the pointer lands on the whitespace just before `xref`.
        let qpdf = try Shell.run("qpdf", ["--check", ws.path("off.pdf")])
        #expect(qpdf.status != 0 && qpdf.output.contains("xref"), "qpdf reads it cleanly: \(qpdf.output)")
        let pyhanko = try Shell.run("pyhanko", ["sign", "validate", "--no-revocation-check", ws.path("off.pdf")])
        if offset != -1 {
            #expect(pyhanko.status != 0 && pyhanko.output.contains("xref"), "pyHanko reads it: \(pyhanko.output)")
        }
    }

    /// Object offsets all a few bytes off (startxref too): refused for the same reason.
    @Test func objectOffsetsAFewBytesOffAreRefused() throws {
        var pdf = SamplePDF().build(xref: .table)
        pdf.insert(contentsOf: Array("   ".utf8), at: 9)
        #expect(code(pdf) == "PDF_BAD_XREF")
        // Only the objects: startxref pointing right at the table.
        var objects = SamplePDF().build(xref: .table)
        objects.insert(contentsOf: Array("   ".utf8), at: 9)
        let table = try #require(ByteSearch.findLast(Array("xref".utf8), in: objects, before: objects.count - 20))
        objects = replacingLast(objects, "startxref\n", with: "startxref\n\(table)\n%%EOF\n")
        let refused = error(objects)
        #expect(refused?.code == "PDF_BAD_XREF")
        #expect(refused?.message.contains("does not point at it") == true, "\(String(describing: refused))")
    }

    /// Numbers that would overflow an offset computation, with junk before the header so that
    /// offsets are header-relative (each used to trap).
    @Test func offsetsAtIntMaxDoNotTrap() {
        let pdf = SamplePDF(junk: "JUNK\n").build(xref: .table)
        let start = pdf.count - 5  // offsets count from the header
        let base = (try? PDFDocument(bytes: pdf).startxref) ?? 0
        func update(_ body: String, _ trailer: String) -> [UInt8] {
            pdf + Array("\(body)trailer\n<< /Size 6 /Root 1 0 R \(trailer) >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        }
        let max = "9223372036854775807"
        #expect(code(update("xref\n0 0\n", "/Prev \(max)")) == "PDF_BAD_XREF")
        #expect(code(update("xref\n0 0\n", "/Prev \(base) /XRefStm \(max)")) == "PDF_BAD_XREF")
        #expect(code(update("xref\n3 1\n\(max) 00000 n\r\n", "/Prev \(base)")) == "PDF_BAD_XREF")
        #expect(code(update("xref\n3 1\n0000000009 99999 n\r\n", "/Prev \(base)")) == "PDF_BAD_XREF")
        #expect(code(update("xref\n0 0\n", "/Prev \(base) /Size \(max)")) == "PDF_BAD_XREF")
    }

    @Test(arguments: HostilePDF.all.map(\.name))
    func hostileDocumentsEndWithTheirCode(_ name: String) throws {
        let hostile = try #require(HostilePDF.all.first { $0.name == name })
        let pdf = hostile.make()
        for visible: VisibleSignature? in [
            nil, .coordinates(page: 1, x: 10, y: 10, width: 100, height: 40),
            .placeholder(word: "SIGNHERE", width: 100, height: 40), .field(name: "Approval"),
        ] {
            var r = request
            r.visible = visible
            let refused = error(pdf, r)
            #expect(
                refused?.code == hostile.expectedCode,
                "\(name), \(String(describing: visible)): \(String(describing: refused))")
        }
    }

    /// 100 object streams of 64 MiB each (6.4 GiB) are refused once the budget (256 MiB) is
    /// spent: the process never holds much more than the budget.
    @Test func decompressionBombStopsAtTheBudget() throws {
        let pdf = HostilePDF.decompressionBomb()
        #expect(pdf.count < 8_000_000)
        let refused = error(pdf)
        #expect(refused?.code == "PDF_TOO_COMPLEX")
        #expect(
            refused?.message.contains("decode to more than 268435456 bytes") == true, "\(String(describing: refused))")
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #expect(usage.ru_maxrss < 1_500_000, "peak RSS \(usage.ru_maxrss) KiB")
        // The same with a small budget: decoding stops at it, not after every stream.
        var limits = PDFLimits()
        limits.maxDecodedBytes = 3 << 20
        let document = try PDFDocument(
            bytes: HostilePDF.decompressionBomb(streams: 10, bytesEach: 1 << 20), limits: limits)
        let catalog = try #require(try document.resolveDict(document.trailer["Root"]))
        #expect(errorCode { _ = try PDFPageTree(document: document, catalog: catalog) } == "PDF_TOO_COMPLEX")
        #expect(document.decodedBytes <= 3 << 20 && document.decodedBytes >= 2 << 20, "\(document.decodedBytes)")
    }

    /// One Flate stream of 1 MiB listed 100 times in a page's /Contents: the placeholder search
    /// decodes it once per listing, within the same budget.
    @Test func repeatedContentStreamStopsAtTheBudget() {
        var pdf = SamplePDF()
        pdf.pageExtra = " /Contents [" + String(repeating: "6 0 R ", count: 100) + "]"
        let hex = Zlib.prefix([], thenZeros: 1 << 20).map { String(format: "%02X", $0) }.joined() + ">"
        pdf.extraObjects = [
            "<< /Filter [/ASCIIHexDecode /FlateDecode] /Length \(hex.utf8.count) >>\nstream\n\(hex)\nendstream"
        ]
        var r = request
        r.visible = .placeholder(word: "ABSENT", width: 100, height: 40)
        var limits = PDFLimits()
        limits.maxDecodedBytes = 16 << 20
        #expect(error(pdf.build(xref: .table), r, limits: limits)?.code == "PDF_TOO_COMPLEX")
        #expect(
            error(pdf.build(xref: .table), r)?.code == "PDF_PLACEHOLDER_NOT_FOUND",
            "100 MiB in 100 pieces fit the default budget")
    }

    @Test func corruptXRefStream() throws {
        var pdf = SamplePDF().build(xref: .stream)
        let marker = try #require(ByteSearch.findLast(Array("/Type /XRef".utf8), in: pdf))
        let data = try #require(ByteSearch.find(Array("stream\n".utf8), in: pdf, from: marker)) + 7
        for i in data..<(data + 8) { pdf[i] ^= 0x5A }
        #expect(code(pdf) == "PDF_BAD_XREF")
    }

    @Test func badRequest() {
        var r = request
        r.contentsCapacity = 0
        #expect(code(SamplePDF().build(xref: .table), r) == "PDF_BAD_REQUEST")
    }

    @Test func prevCycleAndPrevOutside() throws {
        let pdf = SamplePDF().build(xref: .table)
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
        var noPages = SamplePDF()
        noPages.catalogExtra = " /Pages 1 0 R"  // duplicate key: /Pages now points at the catalog itself
        #expect(code(noPages.build(xref: .table)) == "PDF_MALFORMED")
        var kidsCycle = SamplePDF()
        kidsCycle.pageExtra = " /Type /Pages /Kids [2 0 R]"
        let cycle = error(kidsCycle.build(xref: .table))
        #expect(cycle?.code == "PDF_MALFORMED")
        #expect(cycle?.message.contains("cycle") == true, "\(String(describing: cycle))")
        let noRoot = replacingLast(SamplePDF().build(xref: .table), "/Root 1 0 R", with: "/Info 1 0 R")
        #expect(code(noRoot) == "PDF_MALFORMED")
        var deep = SamplePDF()
        deep.catalogExtra = " /Deep " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(code(deep.build(xref: .table)) == "PDF_TOO_COMPLEX", "a limit, not a syntax error")
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
        let pdf = SamplePDF().build(xref: .table)
        for visible: VisibleSignature in [
            .coordinates(page: 0, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: 2, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 10, y: 10, width: -100, height: 40),
            .coordinates(page: 1, x: .nan, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 10, y: .infinity, width: 100, height: 40),
            .coordinates(page: 1, x: 600, y: 10, width: 100, height: 40),
            .placeholder(word: "SIGNHERE", width: 0, height: 40),
            // Hostile numbers: none may trap.
            .coordinates(page: .max, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: .min, x: 10, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: -.infinity, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 1e308, y: 1e308, width: 1e308, height: 1e308),
            .coordinates(page: 1, x: -1e308, y: 10, width: 100, height: 40),
            .coordinates(page: 1, x: 10, y: 10, width: .nan, height: 40),
            .coordinates(page: 1, x: 10, y: 10, width: 100, height: -0.0),
            .coordinates(page: 1, x: 10, y: 10, width: 100, height: .leastNonzeroMagnitude * -1),
            .coordinates(page: 1, x: 10, y: 10, width: 14_400.5, height: 40),
            .coordinates(page: 1, x: 9.3e18, y: 10, width: 100, height: 40),
            .placeholder(word: "SIGNHERE", width: .infinity, height: 40),
            .placeholder(word: "SIGNHERE", width: 100, height: .nan),
            .placeholder(word: "SIGNHERE", width: 100, height: -40),
            .placeholder(word: "SIGNHERE", width: 14_401, height: 40),
            .placeholder(word: "SIGNHERE", width: 1e308, height: 1e308),
        ] {
            var r = request
            r.visible = visible
            #expect(code(pdf, r) == "PDF_BAD_VISIBLE_SIGNATURE", "\(visible)")
        }
        // A huge page (MediaBox beyond the PDF limit) still takes no signature beyond 14,400 pt.
        var huge = SamplePDF()
        let nines = String(repeating: "9", count: 40)  // beyond Int: read as the largest Double
        huge.pageExtra = " /MediaBox [0 0 \(nines) \(nines)]"
        var r = request
        r.visible = .coordinates(page: 1, x: 20_000, y: 10, width: 100, height: 40)
        #expect(code(huge.build(xref: .table), r) == "PDF_BAD_VISIBLE_SIGNATURE")
        // A placeholder whose computed position is infinite.
        var far = SamplePDF()
        far.content = "\(nines) 0 0 1 0 0 cm 9 0 0 1 0 0 cm BT /F1 12 Tf 72 700 Td (SIGNHERE) Tj ET"
        r.visible = .placeholder(word: "SIGNHERE", width: 100, height: 40)
        #expect(code(far.build(xref: .table), r) == "PDF_BAD_VISIBLE_SIGNATURE")
    }

    @Test func fieldNotFound() {
        var withText = SamplePDF()
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
        #expect(code(SamplePDF().build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // Split across two show operators.
        var split = SamplePDF()
        split.content = "BT /F1 12 Tf 72 700 Td (SIGN) Tj (HERE) Tj ET"
        r.visible = .placeholder(word: "SIGNHERE", width: 100, height: 30)
        #expect(code(split.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // CID (Type0) font: codes are not characters.
        var cid = SamplePDF()
        cid.fontDict = "<< /Type /Font /Subtype /Type0 /BaseFont /Foo /Encoding /Identity-H /DescendantFonts [] >>"
        cid.content = "BT /F1 12 Tf 72 700 Td (SIGNHERE) Tj ET"
        #expect(code(cid.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // Mid-string in a font without known widths: the position would be a guess.
        var unknownWidths = SamplePDF()
        unknownWidths.fontDict = "<< /Type /Font /Subtype /TrueType /BaseFont /Foo >>"
        unknownWidths.content = "BT /F1 12 Tf 72 700 Td (Please SIGNHERE) Tj ET"
        #expect(code(unknownWidths.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
        // After text of unknown width with no new positioning.
        unknownWidths.content = "BT /F1 12 Tf 72 700 Td (Please) Tj (SIGNHERE) Tj ET"
        #expect(code(unknownWidths.build(xref: .table), r) == "PDF_PLACEHOLDER_NOT_FOUND")
    }

    @Test func certifiedWithNoChangesAllowed() {
        var locked = SamplePDF()
        locked.catalogExtra = " /Perms << /DocMDP 6 0 R >>"
        locked.extraObjects = [
            "<< /Type /Sig /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /P 1 /V /1.2 >> >>] >>"
        ]
        #expect(code(locked.build(xref: .table)) == "PDF_MALFORMED")
    }

    @Test func contentsTooSmall() throws {
        var prepared = try PDFSigner.prepare(SamplePDF().build(xref: .table), request)
        #expect(errorCode { try prepared.embed(cms: [UInt8](repeating: 1, count: 1025)) } == "PDF_CONTENTS_TOO_SMALL")
        try prepared.embed(cms: [UInt8](repeating: 1, count: 1024))
    }
}

/// Replaces the last occurrence of `marker` and everything after it with `replacement`.
func replacingLast(_ bytes: [UInt8], _ marker: String, with replacement: String) -> [UInt8] {
    guard let at = ByteSearch.findLast(Array(marker.utf8), in: bytes) else { return bytes }
    return Array(bytes[..<at]) + Array(replacement.utf8)
        + (marker.hasPrefix("startxref") ? [] : Array(bytes[(at + marker.utf8.count)...]))
}
