/// Hostile PDFs for the "no traps, bounded work" guarantees (docs/pdf.md). Each is small on
/// disk and made to fail one way whatever signature is requested (invisible or visible); the
/// code each must end with is in `expectedCode`.
public enum HostilePDF {
    /// A one-section file whose trailer has `/Prev 9223372036854775807` (Int.max). → `PDF_BAD_XREF`
    public static func prevAtIntMax() -> [UInt8] {
        var pdf = Assembler()
        pdf.addBasicPages()
        return pdf.finishTable(trailerExtra: " /Prev 9223372036854775807")
    }

    /// The page lives in an object stream whose `/First` is Int.max. → `PDF_MALFORMED`
    public static func objectStreamWithHugeFirst() -> [UInt8] {
        var pdf = Assembler()
        pdf.addBasicPages(pageInObjectStream: 4, objectStreamDict: "/First 9223372036854775807")
        return pdf.finishXRefStream()
    }

    /// The page lives in an object stream whose `/Length` is `5 0 R`, and object 5 is `6 0 R`,
    /// … `depth` references deep before the real length. → `PDF_TOO_COMPLEX`
    public static func indirectLengthChain(depth: Int = 1000) -> [UInt8] {
        var pdf = Assembler()
        let first = 5
        pdf.addBasicPages(pageInObjectStream: 4, objectStreamLength: first)
        for i in 0..<(depth - 1) { pdf.add(first + i, "\(first + i + 1) 0 R") }
        pdf.add(first + depth - 1, "\(pdf.objectStreamDataLength)")
        return pdf.finishXRefStream()
    }

    /// `streams` pages, each in its own object stream that inflates to `bytesEach` bytes (the
    /// page dictionary followed by zero bytes, which PDF reads as whitespace), compressed about
    /// 1000 : 1. The defaults (100 × 64 MiB = 6.4 GiB inflated from 6.5 MB) must be refused once
    /// the document's decompression budget is spent. → `PDF_TOO_COMPLEX`
    public static func decompressionBomb(streams: Int = 100, bytesEach: Int = 64 << 20) -> [UInt8] {
        var pdf = Assembler()
        let firstPage = 3
        let kids = (0..<streams).map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " ")
        pdf.add(1, "<< /Type /Catalog /Pages 2 0 R >>")
        pdf.add(2, "<< /Type /Pages /Kids [\(kids)] /Count \(streams) /MediaBox [0 0 612 792] >>")
        for i in 0..<streams {
            let page = firstPage + 2 * i
            let page1 = Array("<< /Type /Page /Parent 2 0 R >>".utf8)
            let header = Array("\(page) 0 ".utf8)
            let data = Zlib.prefix(header + page1, thenZeros: max(1, bytesEach - header.count - page1.count))
            pdf.addStream(
                page + 1, dict: "/Type /ObjStm /N 1 /First \(header.count) /Filter /FlateDecode", data: data)
            pdf.compressed(page, in: page + 1, index: 0)
        }
        return pdf.finishXRefStream()
    }

    /// A classic file whose `startxref` points `offset` bytes before (negative) or after the
    /// real `xref` keyword; strict readers (pyHanko) cannot open it. → `PDF_BAD_XREF`
    public static func startxrefOff(by offset: Int) -> [UInt8] {
        var pdf = Assembler()
        pdf.addBasicPages()
        return pdf.finishTable(startxrefShift: offset)
    }

    /// The catalog holds arrays nested `depth` deep. → `PDF_TOO_COMPLEX`
    public static func deepArrays(depth: Int = 10_000) -> [UInt8] {
        var pdf = Assembler()
        let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        pdf.addBasicPages(catalogExtra: " /Deep " + deep)
        return pdf.finishTable()
    }

    /// The page tree's node 3 has kid 4 whose kid is 3 again. → `PDF_MALFORMED`
    public static func pageTreeCycle() -> [UInt8] {
        var pdf = Assembler()
        pdf.add(1, "<< /Type /Catalog /Pages 2 0 R >>")
        pdf.add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>")
        pdf.add(3, "<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>")
        pdf.add(4, "<< /Type /Pages /Parent 3 0 R /Kids [3 0 R] /Count 1 >>")
        return pdf.finishTable()
    }

    /// A trailer with `/Size 9223372036854775807`. → `PDF_BAD_XREF`
    public static func hugeSize() -> [UInt8] {
        var pdf = Assembler()
        pdf.addBasicPages()
        return pdf.finishTable(size: "9223372036854775807")
    }

    /// An xref subsection starting at object 9223372036854775807. → `PDF_BAD_XREF`
    public static func hugeSubsectionStart() -> [UInt8] {
        var pdf = Assembler()
        pdf.addBasicPages()
        return pdf.finishTable(extraSubsection: "9223372036854775807 1\n0000000009 00000 n\r\n")
    }

    /// Every generator with the code it must end with, for tests that run them all.
    public static let all: [(name: String, expectedCode: String, make: @Sendable () -> [UInt8])] = [
        ("prevAtIntMax", "PDF_BAD_XREF", { prevAtIntMax() }),
        ("objectStreamWithHugeFirst", "PDF_MALFORMED", { objectStreamWithHugeFirst() }),
        ("indirectLengthChain", "PDF_TOO_COMPLEX", { indirectLengthChain() }),
        ("decompressionBomb", "PDF_TOO_COMPLEX", { decompressionBomb() }),
        ("startxrefBefore", "PDF_BAD_XREF", { startxrefOff(by: -3) }),
        ("startxrefAfter", "PDF_BAD_XREF", { startxrefOff(by: 2) }),
        ("deepArrays", "PDF_TOO_COMPLEX", { deepArrays() }),
        ("pageTreeCycle", "PDF_MALFORMED", { pageTreeCycle() }),
        ("hugeSize", "PDF_BAD_XREF", { hugeSize() }),
        ("hugeSubsectionStart", "PDF_BAD_XREF", { hugeSubsectionStart() }),
    ]
}

/// Lays out numbered objects and a cross-reference section (classic table, or an uncompressed
/// xref stream with `/W [1 8 2]` so compressed objects can be listed).
struct Assembler {
    private(set) var out = Array("%PDF-1.7\n%\u{e2}\u{e3}\n".utf8)
    private var entries: [Int: (type: Int, field2: Int, field3: Int)] = [:]
    /// Bytes of the object stream made by `addBasicPages(pageInObjectStream:)`.
    private(set) var objectStreamDataLength = 0

    mutating func add(_ num: Int, _ body: String) {
        entries[num] = (1, out.count, 0)
        out += Array("\(num) 0 obj\n\(body)\nendobj\n".utf8)
    }

    /// A stream object; `length` replaces the direct `/Length` (for indirect lengths).
    mutating func addStream(_ num: Int, dict: String, data: [UInt8], length: String? = nil) {
        entries[num] = (1, out.count, 0)
        out += Array("\(num) 0 obj\n<< \(dict) /Length \(length ?? String(data.count)) >>\nstream\n".utf8)
        out += data
        out += Array("\nendstream\nendobj\n".utf8)
    }

    mutating func compressed(_ num: Int, in stream: Int, index: Int) {
        entries[num] = (2, stream, index)
    }

    /// Catalog 1, pages 2, page 3 (612 × 792, no content); the page goes into object stream
    /// `pageInObjectStream` when given (which needs an xref stream).
    mutating func addBasicPages(
        catalogExtra: String = "", pageInObjectStream: Int? = nil, objectStreamDict: String = "",
        objectStreamLength: Int? = nil
    ) {
        add(1, "<< /Type /Catalog /Pages 2 0 R\(catalogExtra) >>")
        add(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>")
        let page = "<< /Type /Page /Parent 2 0 R /Resources << >> >>"
        guard let stm = pageInObjectStream else {
            add(3, page)
            return
        }
        let header = "3 0 "
        let data = Array((header + page).utf8)
        objectStreamDataLength = data.count
        let first = objectStreamDict.contains("/First") ? "" : " /First \(header.utf8.count)"
        addStream(
            stm, dict: "/Type /ObjStm /N 1\(first) \(objectStreamDict)", data: data,
            length: objectStreamLength.map { "\($0) 0 R" })
        compressed(3, in: stm, index: 0)
    }

    private var size: Int { (entries.keys.max() ?? 0) + 1 }

    func finishTable(
        trailerExtra: String = "", startxrefShift: Int = 0, size: String? = nil, extraSubsection: String = ""
    ) -> [UInt8] {
        var out = self.out
        let start = out.count
        var table = "xref\n0 \(self.size)\n0000000000 65535 f\r\n"
        for num in 1..<self.size {
            let offset = entries[num].map { $0.type == 1 ? $0.field2 : 0 } ?? 0
            let zeros = String(repeating: "0", count: 10 - String(offset).count)
            table += offset > 0 ? "\(zeros)\(offset) 00000 n\r\n" : "0000000000 00000 f\r\n"
        }
        table += extraSubsection
        table += "trailer\n<< /Size \(size ?? String(self.size)) /Root 1 0 R\(trailerExtra) >>\n"
        table += "startxref\n\(start + startxrefShift)\n%%EOF\n"
        out += Array(table.utf8)
        return out
    }

    func finishXRefStream() -> [UInt8] {
        var out = self.out
        let xrefNum = size
        var all = entries
        all[xrefNum] = (1, out.count, 0)
        var data: [UInt8] = []
        for num in 0...xrefNum {
            let e = all[num] ?? (0, 0, num == 0 ? 65_535 : 0)
            data.append(UInt8(e.type))
            for shift in stride(from: 56, through: 0, by: -8) {
                data.append(UInt8(truncatingIfNeeded: e.field2 >> shift))
            }
            data += [UInt8(truncatingIfNeeded: e.field3 >> 8), UInt8(truncatingIfNeeded: e.field3)]
        }
        let start = out.count
        out += Array(
            "\(xrefNum) 0 obj\n<< /Type /XRef /Size \(xrefNum + 1) /W [1 8 2] /Root 1 0 R /Length \(data.count) >>\nstream\n"
                .utf8)
        out += data
        out += Array("\nendstream\nendobj\nstartxref\n\(start)\n%%EOF\n".utf8)
        return out
    }
}
