/// What the placeholder search needs to know about a font: whether its codes are single bytes
/// with a standard Latin encoding, and the glyph widths (when they are known exactly).
struct TextFont {
    /// Simple font (Type1, TrueType, MMType1) whose codes are bytes.
    let isSimple: Bool
    private let widths: [Int: Double]
    private let missingWidth: Double
    private let fixedWidth: Double?
    /// Standard 14 metrics for codes 32...126 when /Widths is absent.
    private let standard: [Int]?
    private let winAnsi: Bool
    private let hasWidths: Bool
    private let differences: [Int: String]

    static let unknown = TextFont(
        isSimple: false, widths: [:], missingWidth: 0, fixedWidth: nil, standard: nil, winAnsi: false,
        hasWidths: false, differences: [:])

    private init(
        isSimple: Bool, widths: [Int: Double], missingWidth: Double, fixedWidth: Double?, standard: [Int]?,
        winAnsi: Bool, hasWidths: Bool, differences: [Int: String]
    ) {
        self.standard = standard
        self.winAnsi = winAnsi
        self.isSimple = isSimple
        self.widths = widths
        self.missingWidth = missingWidth
        self.fixedWidth = fixedWidth
        self.hasWidths = hasWidths
        self.differences = differences
    }

    init(document: PDFDocument, dict: PDFDict) throws {
        let subtype = try document.resolve(dict["Subtype"]).name ?? ""
        isSimple = ["Type1", "TrueType", "MMType1"].contains(subtype)
        var w: [Int: Double] = [:]
        // Codes are bytes: a /FirstChar outside 0...255 leaves every width unknown.
        let firstChar = try document.resolve(dict["FirstChar"]).int ?? 0
        let list = try document.resolveArray(dict["Widths"])
        if (0...255).contains(firstChar) {
            for (i, item) in (list ?? []).prefix(256 - firstChar).enumerated() {
                if let v = try document.resolve(item).number { w[firstChar + i] = v }
            }
        }
        widths = w
        hasWidths = list != nil
        let descriptor = try document.resolveDict(dict["FontDescriptor"])
        missingWidth = try descriptor.flatMap { try document.resolve($0["MissingWidth"]).number } ?? 0
        let base = try document.resolve(dict["BaseFont"]).name ?? ""
        fixedWidth = base.hasPrefix("Courier") && list == nil ? 600 : nil
        standard = list == nil ? StandardFontWidths.table(for: base) : nil
        let encodingObject = try document.resolve(dict["Encoding"])
        let baseEncoding = try document.resolve(encodingObject.dict?["BaseEncoding"]).name
        winAnsi = encodingObject.name == "WinAnsiEncoding" || baseEncoding == "WinAnsiEncoding"
        var diffs: [Int: String] = [:]
        if let encoding = encodingObject.dict,
            let array = try document.resolveArray(encoding["Differences"])
        {
            var code = 0
            for item in array.prefix(2048) {
                if let n = item.int {
                    code = n
                } else if let name = item.name, (0...255).contains(code) {
                    diffs[code] = name
                    code += 1
                }
            }
        }
        differences = diffs
    }

    /// Width of a code in thousandths of an em, or nil when not known exactly.
    func width(_ code: UInt8) -> Double? {
        if let fixedWidth { return fixedWidth }
        if let standard {
            guard code >= 32, code <= 126, differences[Int(code)] == nil else { return nil }
            guard winAnsi || (code != 0x27 && code != 0x60) else { return nil }
            return Double(standard[Int(code) - 32])
        }
        guard hasWidths else { return nil }
        return widths[Int(code)] ?? missingWidth
    }

    /// Whether `code` shows the ASCII character of the same value (no /Differences remapping).
    func showsASCII(_ code: UInt8) -> Bool {
        guard let name = differences[Int(code)] else { return true }
        return Self.glyphName(code) == name
    }

    private static let punctuation: [UInt8: String] = [
        0x20: "space", 0x21: "exclam", 0x23: "numbersign", 0x24: "dollar", 0x25: "percent",
        0x26: "ampersand", 0x2A: "asterisk", 0x2B: "plus", 0x2C: "comma", 0x2D: "hyphen",
        0x2E: "period", 0x2F: "slash", 0x3A: "colon", 0x3B: "semicolon", 0x3C: "less", 0x3D: "equal",
        0x3E: "greater", 0x3F: "question", 0x40: "at", 0x5B: "bracketleft", 0x5D: "bracketright",
        0x5F: "underscore", 0x7B: "braceleft", 0x7C: "bar", 0x7D: "braceright",
    ]
    private static let digits = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    static func glyphName(_ code: UInt8) -> String? {
        switch code {
        case 0x41...0x5A, 0x61...0x7A: return String(UnicodeScalar(code))
        case 0x30...0x39: return digits[Int(code - 0x30)]
        default: return punctuation[code]
        }
    }
}
