import Foundation

/// Builds the normal appearance (/AP /N) of a visible signature: a Form XObject with a border,
/// "Signed by <name>" and the signing date in Helvetica, scaled to fit the box.
enum AppearanceBuilder {
    static func stream(width: Double, height: Double, signerName: String?, date: Date, rotation: Int = 0) -> PDFStream {
        let lines = ["Signed by " + (signerName ?? "unknown signer"), "Date: " + displayDate(date)]
        let margin = min(4.0, min(width, height) / 10)
        let longest = Double(lines.map(\.count).max() ?? 1)
        // Helvetica averages about 0.55 em per character.
        let byWidth = (width - 2 * margin) / max(1, longest * 0.55)
        let byHeight = (height - 2 * margin) / (Double(lines.count) * 1.2)
        let size = max(1, min(12, byWidth, byHeight))
        var ops = "q\n0 0 0 RG 0.5 w\n"
        ops += "0.25 0.25 \(num(max(0, width - 0.5))) \(num(max(0, height - 0.5))) re S\n"
        ops += "0 0 \(num(width)) \(num(height)) re W n\n"
        ops += "BT\n/Helv \(num(size)) Tf 0 g\n"
        var y = height - margin - size
        var out = Array(ops.utf8)
        for line in lines {
            out += Array("1 0 0 1 \(num(margin)) \(num(y)) Tm ".utf8)
            PDFSerializer.writeLiteral(winAnsi(line), into: &out)
            out += Array(" Tj\n".utf8)
            y -= size * 1.2
        }
        out += Array("ET\nQ\n".utf8)
        let font = PDFDict([
            ("Type", .name("Font")), ("Subtype", .name("Type1")), ("BaseFont", .name("Helvetica")),
            ("Encoding", .name("WinAnsiEncoding")),
        ])
        var dict = PDFDict([
            ("Type", .name("XObject")), ("Subtype", .name("Form")),
            ("BBox", .array([.int(0), .int(0), .real(width), .real(height)])),
            ("Resources", .dict(PDFDict([("Font", .dict(PDFDict([("Helv", .dict(font))])))]))),
        ])
        // Counter-clockwise by the page's clockwise /Rotate; the viewer maps the turned BBox onto /Rect.
        let matrices: [Int: [Int]] = [90: [0, 1, -1, 0, 0, 0], 180: [-1, 0, 0, -1, 0, 0], 270: [0, -1, 1, 0, 0, 0]]
        if let matrix = matrices[rotation] { dict["Matrix"] = .array(matrix.map { .int($0) }) }
        return PDFStream(dict: dict, data: out)
    }

    /// An empty appearance for invisible signatures.
    static func empty() -> PDFStream {
        PDFStream(
            dict: PDFDict([
                ("Type", .name("XObject")), ("Subtype", .name("Form")),
                ("BBox", .array([.int(0), .int(0), .int(0), .int(0)])),
            ]), data: [])
    }

    static func displayDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: date)
    }

    /// WinAnsi bytes for Latin-1 text; other characters become '?'.
    static func winAnsi(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { s in
            (s.value >= 0x20 && s.value < 0x7F) || (s.value >= 0xA0 && s.value <= 0xFF) ? UInt8(s.value) : 0x3F
        }
    }

    private static func num(_ v: Double) -> String { PDFSerializer.formatReal((v * 100).rounded() / 100) }
}
