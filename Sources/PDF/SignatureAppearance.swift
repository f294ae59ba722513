/// What a visible signature shows inside its rectangle: a background, an image and text, drawn
/// with one of the standard fonts every PDF reader has (no font is embedded).
public struct SignatureAppearance: Sendable, Equatable {
    /// The text, lines separated by "\n" (long lines wrap at spaces). Nil: "Signed by
    /// <signerName>" and the signing date. Characters outside WinAnsi (Latin-1 and a few
    /// typographic ones) show as "?".
    public var text: String?
    public var font: StandardFont
    /// Points; nil: the largest size up to 12 points at which the text fits.
    public var fontSize: Double?
    public var textColor: RGBColor
    /// Nil: transparent.
    public var background: RGBColor?
    /// Drawn on the left part of the rectangle (all of it when there is no text), scaled to fit
    /// with its aspect ratio kept.
    public var image: SignatureImage?

    /// Font sizes a request may ask for, in points.
    public static let fontSizes = 1.0...144.0
    /// The longest text, in characters, after any expansion.
    public static let maxTextLength = 4096

    public init(
        text: String? = nil, font: StandardFont = .helvetica, fontSize: Double? = nil, textColor: RGBColor = .black,
        background: RGBColor? = nil, image: SignatureImage? = nil
    ) {
        self.text = text
        self.font = font
        self.fontSize = fontSize
        self.textColor = textColor
        self.background = background
        self.image = image
    }

    /// The request's own numbers and sizes, before anything is drawn (`PDF_BAD_VISIBLE_SIGNATURE`).
    func check() throws(PDFError) {
        if let fontSize, !(fontSize.isFinite && Self.fontSizes.contains(fontSize)) {
            throw PDFError.badVisibleSignature(
                "the font size must be \(Int(Self.fontSizes.lowerBound))...\(Int(Self.fontSizes.upperBound)) points")
        }
        if let text, text.unicodeScalars.count > Self.maxTextLength {
            throw PDFError.badVisibleSignature("the text is longer than \(Self.maxTextLength) characters")
        }
    }
}

/// An sRGB colour with 8-bit components.
public struct RGBColor: Sendable, Equatable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let black = RGBColor(red: 0, green: 0, blue: 0)

    /// `#RRGGBB` or `RRGGBB` (any case); nil for anything else.
    public init?(hex: String) {
        var digits = Substring(hex)
        if digits.first == "#" { digits = digits.dropFirst() }
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let value = UInt32(digits, radix: 16) else {
            return nil
        }
        self.init(red: UInt8(value >> 16), green: UInt8((value >> 8) & 0xFF), blue: UInt8(value & 0xFF))
    }

    /// The components as PDF numbers in 0...1.
    var components: [Double] { [red, green, blue].map { Double($0) / 255 } }
}

/// The standard Type 1 fonts a visible signature can use (ISO 32000-1 §9.6.2.2).
public enum StandardFont: String, Sendable, Equatable, CaseIterable {
    case helvetica = "Helvetica"
    case helveticaBold = "Helvetica-Bold"
    case timesRoman = "Times-Roman"
    case timesBold = "Times-Bold"
    case courier = "Courier"
    case courierBold = "Courier-Bold"

    /// A client's font name (`arial`, `Times New Roman`, `courier-bold`, …) mapped to the nearest
    /// standard font: serif families to Times, monospaced ones to Courier, anything else
    /// (Arial, unknown names) to Helvetica; "bold" in the name picks the bold face.
    public init(clientName: String) {
        let name = clientName.lowercased().filter { $0.isLetter }
        let bold = name.contains("bold")
        let serif = ["times", "serif", "georgia", "garamond", "cambria", "roman"]
        let mono = ["courier", "mono", "consolas", "typewriter"]
        if mono.contains(where: name.contains) {
            self = bold ? .courierBold : .courier
        } else if serif.contains(where: name.contains) && !name.contains("sansserif") {
            self = bold ? .timesBold : .timesRoman
        } else {
            self = bold ? .helveticaBold : .helvetica
        }
    }

    /// Width of a WinAnsi code in thousandths of an em (accented letters approximated).
    func width(_ code: UInt8) -> Double {
        let table: [Int]?
        switch self {
        case .courier, .courierBold: return 600
        case .helvetica: table = StandardFontWidths.helvetica
        case .helveticaBold: table = StandardFontWidths.helveticaBold
        case .timesRoman: table = StandardFontWidths.timesRoman
        case .timesBold: table = StandardFontWidths.timesBold
        }
        guard let table, code >= 32, code <= 126 else { return self == .timesRoman || self == .timesBold ? 500 : 556 }
        return Double(table[Int(code) - 32])
    }
}
