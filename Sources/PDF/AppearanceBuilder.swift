import Foundation

/// Builds the normal appearance (/AP /N) of a visible signature: a Form XObject with the
/// background, a thin border, the image on the left (all of the box without text) and the text,
/// wrapped at spaces, in one of the standard fonts.
enum AppearanceBuilder {
    static let imageName = "Im1"
    static let fontName = "F1"

    /// `image`: the image XObject already written for `appearance.image`.
    static func stream(
        width: Double, height: Double, signerName: String?, date: Date, rotation: Int = 0,
        appearance: SignatureAppearance = SignatureAppearance(), image: PDFRef? = nil
    ) -> PDFStream {
        let lines =
            appearance.text.map(paragraphs)
            ?? ["Signed by " + (signerName ?? "unknown signer"), "Date: " + displayDate(date)]
        let hasText = lines.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let margin = min(4.0, min(width, height) / 10)
        var out = Array("q\n".utf8)
        if let background = appearance.background {
            out += Array("\(color(background)) rg 0 0 \(num(width)) \(num(height)) re f\n".utf8)
        }
        out += Array("\(color(appearance.textColor)) RG 0.5 w\n".utf8)
        out += Array("0.25 0.25 \(num(max(0, width - 0.5))) \(num(max(0, height - 0.5))) re S\n".utf8)
        out += Array("0 0 \(num(width)) \(num(height)) re W n\n".utf8)
        var textLeft = margin
        if let picture = appearance.image, image != nil {
            let drawnWidth = drawImage(
                picture, width: width, height: height, margin: margin, beside: hasText, into: &out)
            textLeft = hasText ? margin + drawnWidth + margin : width
        }
        if hasText {
            drawText(
                lines, appearance: appearance, box: (textLeft, width - textLeft - margin, height, margin), into: &out)
        }
        out += Array("Q\n".utf8)
        var resources = PDFDict()
        if hasText {
            let font = PDFDict([
                ("Type", .name("Font")), ("Subtype", .name("Type1")), ("BaseFont", .name(appearance.font.rawValue)),
                ("Encoding", .name("WinAnsiEncoding")),
            ])
            resources["Font"] = .dict(PDFDict([(fontName, .dict(font))]))
        }
        if let image, appearance.image != nil {
            resources["XObject"] = .dict(PDFDict([(imageName, .ref(image))]))
        }
        var dict = PDFDict([
            ("Type", .name("XObject")), ("Subtype", .name("Form")),
            ("BBox", .array([.int(0), .int(0), .real(width), .real(height)])),
            ("Resources", .dict(resources)),
        ])
        // Counter-clockwise by the page's clockwise /Rotate; the viewer maps the turned BBox onto /Rect.
        let matrices: [Int: [Int]] = [90: [0, 1, -1, 0, 0, 0], 180: [-1, 0, 0, -1, 0, 0], 270: [0, -1, 1, 0, 0, 0]]
        if let matrix = matrices[rotation] { dict["Matrix"] = .array(matrix.map { .int($0) }) }
        return PDFStream(dict: dict, data: out)
    }

    /// The image in the left part (up to half the box) when text goes `beside` it, else in the
    /// whole box, centred; scaled to fit, aspect kept. Returns the width it takes.
    private static func drawImage(
        _ picture: SignatureImage, width: Double, height: Double, margin: Double, beside: Bool, into out: inout [UInt8]
    ) -> Double {
        let boxWidth = max(0, (width - 2 * margin) / (beside ? 2 : 1))
        let boxHeight = max(0, height - 2 * margin)
        let scale = min(boxWidth / Double(picture.width), boxHeight / Double(picture.height))
        let drawnWidth = Double(picture.width) * scale
        let drawnHeight = Double(picture.height) * scale
        let x = beside ? margin : (width - drawnWidth) / 2
        let y = (height - drawnHeight) / 2
        guard drawnWidth > 0, drawnHeight > 0 else { return 0 }
        let matrix = [drawnWidth, 0, 0, drawnHeight, x, y].map { num($0, 4) }.joined(separator: " ")
        out += Array("q \(matrix) cm /\(imageName) Do Q\n".utf8)
        return drawnWidth
    }

    /// The text lines from the top of the box (`left`, `width` of the text column, `height` of the
    /// box, `margin`), wrapped, in the appearance's font, size and colour.
    private static func drawText(
        _ lines: [String], appearance: SignatureAppearance,
        box: (left: Double, width: Double, height: Double, margin: Double), into out: inout [UInt8]
    ) {
        let text = TextLayout(
            paragraphs: lines.map(winAnsi), font: appearance.font, size: appearance.fontSize, width: box.width,
            height: box.height - 2 * box.margin)
        out += Array("BT\n/\(fontName) \(num(text.size)) Tf \(color(appearance.textColor)) rg\n".utf8)
        var y = box.height - box.margin - text.size
        for line in text.lines {
            // Lines below the box are clipped anyway: stop there.
            guard y > -text.size else { break }
            out += Array("1 0 0 1 \(num(box.left)) \(num(y)) Tm ".utf8)
            PDFSerializer.writeLiteral(line, into: &out)
            out += Array(" Tj\n".utf8)
            y -= text.size * 1.2
        }
        out += Array("ET\n".utf8)
    }

    /// The lines of `text`, whatever its line ends (CR LF, LF, CR).
    static func paragraphs(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
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

    /// WinAnsiEncoding (ISO 32000-1 Annex D) codes 0x80...0x9F that are not Latin-1.
    static let winAnsiExtras: [UInt32: UInt8] = [
        0x20AC: 0x80, 0x201A: 0x82, 0x0192: 0x83, 0x201E: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87,
        0x02C6: 0x88, 0x2030: 0x89, 0x0160: 0x8A, 0x2039: 0x8B, 0x0152: 0x8C, 0x017D: 0x8E, 0x2018: 0x91,
        0x2019: 0x92, 0x201C: 0x93, 0x201D: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02DC: 0x98,
        0x2122: 0x99, 0x0161: 0x9A, 0x203A: 0x9B, 0x0153: 0x9C, 0x017E: 0x9E, 0x0178: 0x9F,
    ]

    /// WinAnsi bytes for `text`; characters WinAnsi has no code for become '?'.
    static func winAnsi(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { s in
            if (s.value >= 0x20 && s.value < 0x7F) || (s.value >= 0xA0 && s.value <= 0xFF) { return UInt8(s.value) }
            if s.value == 0x09 { return 0x20 }
            return winAnsiExtras[s.value] ?? 0x3F
        }
    }

    static func color(_ c: RGBColor) -> String { c.components.map { num($0, 4) }.joined(separator: " ") }

    private static func num(_ v: Double, _ digits: Int = 2) -> String {
        let scale = digits == 4 ? 10_000.0 : 100.0
        return PDFSerializer.formatReal((v * scale).rounded() / scale)
    }
}
