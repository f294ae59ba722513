import Foundation

/// Builds small PDFs byte by byte, for structures no producer here makes on demand (hybrid
/// files, junk before the header, CR-only line ends, object streams with predictors) and for
/// deliberately broken files. One page (612 × 792) showing "Hello SIGNHERE" in Helvetica;
/// objects: 1 catalog, 2 pages, 3 page, 4 content, 5 font, then `extraObjects` from 6.
/// Streams are zlib data in stored blocks (valid FlateDecode, not compressed).
public struct SamplePDF: Sendable {
    public enum XRef: Sendable, Hashable, CaseIterable {
        case table
        /// Xref stream with PNG Up predictor; objects 3...5 inside an object stream.
        case stream
        /// Classic table whose /XRefStm holds objects 3...5, which live in an object stream.
        case hybrid
    }

    public var junk = ""
    public var finalEOL = true
    public var eol = "\n"
    public var content = "BT /F1 12 Tf 72 700 Td (Hello ) Tj (SIGNHERE) Tj ET"
    public var fontDict = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    public var pageExtra = ""
    public var catalogExtra = ""
    public var extraObjects: [String] = []

    /// `stream` must be followed by CRLF or LF even in a CR-only file.
    var streamEOL: String { eol == "\r" ? "\r\n" : eol }

    /// A one-page PDF (classic xref table) whose page shows `text`: distinct texts, distinct files.
    public static func page(showing text: String) -> [UInt8] {
        var sample = SamplePDF()
        sample.content = "BT /F1 24 Tf 72 720 Td (\(text)) Tj ET"
        return sample.build(xref: .table)
    }

    public init(junk: String = "", finalEOL: Bool = true, eol: String = "\n") {
        self.junk = junk
        self.finalEOL = finalEOL
        self.eol = eol
    }

    var objects: [String] {
        [
            "<< /Type /Catalog /Pages 2 0 R\(catalogExtra) >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>",
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R\(pageExtra) >>",
            "<< /Length \(content.utf8.count) >>\(eol)stream\(streamEOL)\(content)\(eol)endstream",
            fontDict,
        ] + extraObjects
    }

    public func build(xref: XRef) -> [UInt8] {
        var out = Array((junk + "%PDF-1.7" + eol + "%\u{e2}\u{e3}" + eol).utf8)
        let base = junk.utf8.count
        var offsets: [Int: Int] = [:]
        // The page (3) and font (5) go into an object stream; a stream (4) cannot.
        let inStream: [Int] = xref == .table ? [] : [3, 5]
        let all = objects
        for (i, body) in all.enumerated() where !inStream.contains(i + 1) {
            offsets[i + 1] = out.count - base
            out += Array("\(i + 1) 0 obj\(eol)\(body)\(eol)endobj\(eol)".utf8)
        }
        var entries: [Int: (type: Int, a: Int, b: Int)] = [:]
        for (num, off) in offsets { entries[num] = (1, off, 0) }
        var next = all.count + 1
        if !inStream.isEmpty {
            let stmNum = next
            next += 1
            var header = ""
            var body = ""
            for (idx, num) in inStream.enumerated() {
                header += "\(num) \(body.utf8.count) "
                body += all[num - 1] + "\n"
                entries[num] = (2, stmNum, idx)
            }
            let data = Zlib.stored(Array((header + body).utf8))
            offsets[stmNum] = out.count - base
            entries[stmNum] = (1, out.count - base, 0)
            out += Array(
                "\(stmNum) 0 obj\(eol)<< /Type /ObjStm /N \(inStream.count) /First \(header.utf8.count) /Filter /FlateDecode /Length \(data.count) >>\(eol)stream\(eol)"
                    .utf8)
            out += data
            out += Array("\(eol)endstream\(eol)endobj\(eol)".utf8)
        }
        let size = next + (xref == .table ? 0 : 1)
        switch xref {
        case .table:
            out += table(offsets: offsets, size: size, extra: "", start: out.count - base)
        case .stream:
            let xrefNum = next
            entries[xrefNum] = (1, out.count - base, 0)
            let start = out.count - base
            out += xrefStream(num: xrefNum, entries: entries, size: size, extra: "")
            out += Array("startxref\(eol)\(start)\(eol)%%EOF".utf8)
        case .hybrid:
            let xrefNum = next
            let stmStart = out.count - base
            let hidden = entries.filter { $0.value.type == 2 }.merging([xrefNum: (1, stmStart, 0)]) { a, _ in a }
            out += xrefStream(num: xrefNum, entries: hidden, size: size, extra: "")
            out += table(offsets: offsets, size: size, extra: " /XRefStm \(stmStart)", start: out.count - base)
        }
        if finalEOL { out += Array(eol.utf8) }
        return out
    }

    /// A classic table listing object 0 and the plain objects in `offsets`, in subsections of
    /// consecutive numbers. Objects that live in an object stream (hybrid files) are left out,
    /// not marked free: readers such as poppler ignore `/XRefStm` entries for free objects.
    private func table(offsets: [Int: Int], size: Int, extra: String, start: Int) -> [UInt8] {
        var s = "xref\(eol)"
        var num = 0
        while num < size {
            guard num == 0 || offsets[num] != nil else {
                num += 1
                continue
            }
            var end = num + 1
            while end < size, offsets[end] != nil { end += 1 }
            s += "\(num) \(end - num)\(eol)"
            for n in num..<end {
                s += n == 0 ? "0000000000 65535 f\r\n" : String(format: "%010d 00000 n\r\n", offsets[n] ?? 0)
            }
            num = end
        }
        s += "trailer\(eol)<< /Size \(size) /Root 1 0 R\(extra) >>\(eol)startxref\(eol)\(start)\(eol)%%EOF"
        return Array(s.utf8)
    }

    /// An xref stream with /W [1 4 2], PNG Up predictor, Flate.
    private func xrefStream(num: Int, entries: [Int: (type: Int, a: Int, b: Int)], size: Int, extra: String) -> [UInt8]
    {
        var rows: [[UInt8]] = []
        for n in 0..<size {
            let e = entries[n] ?? (0, 0, n == 0 ? 65535 : 0)
            rows.append(
                [UInt8(e.type)] + withUnsafeBytes(of: UInt32(e.a).bigEndian, Array.init) + [
                    UInt8(e.b >> 8 & 0xFF), UInt8(e.b & 0xFF),
                ])
        }
        var predicted: [UInt8] = []
        var previous = [UInt8](repeating: 0, count: 7)
        for row in rows {
            predicted.append(2)
            for i in 0..<7 { predicted.append(row[i] &- previous[i]) }
            previous = row
        }
        let data = Zlib.stored(predicted)
        var out = Array(
            "\(num) 0 obj\(eol)<< /Type /XRef /Size \(size) /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length \(data.count)\(extra) >>\(eol)stream\(eol)"
                .utf8)
        out += data
        out += Array("\(eol)endstream\(eol)endobj\(eol)".utf8)
        return out
    }
}
