// Shared by the fuzzer (scripts/fuzz.sh compiles this file into Fuzz/FuzzEntry.swift's module)
// and FuzzRegressionTests, so a fixture replays with the request that found it.
#if canImport(PDF)
    import PDF
#endif

/// The visible-signature request the fuzzer derives from an input's last bytes (and the
/// appearance from the byte before them, see `appearance`). With the high
/// bit of the last byte clear, the last byte modulo 4 picks invisible, coordinates, placeholder
/// or field (the original harness). With it set, the four bytes before it pick hostile numbers
/// for a placement: NaN, infinities, negatives, zero, huge values, pages beyond the document.
enum FuzzRequest {
    static let numbers: [Double] = [
        .nan, .infinity, -.infinity, 0, -0.0, -1, 1e308, -1e308, 14_400, 14_400.01, 1e6, .leastNonzeroMagnitude,
        72, 200, 9.3e18, 0.5,
    ]
    static let pages = [Int.min, -1, 0, 1, 2, 3, Int.max, 1000]

    static func visible(_ bytes: [UInt8]) -> VisibleSignature? {
        let selector = bytes.last ?? 0
        guard selector & 0x80 != 0 else {
            switch selector % 4 {
            case 1: return .coordinates(page: 1, x: 10, y: 10, width: 50, height: 20)
            case 2: return .placeholder(word: "SIGNHERE", width: 50, height: 20)
            case 3: return .field(name: "Approval")
            default: return nil
            }
        }
        let picks = bytes.dropLast().suffix(4).map(Int.init) + [0, 0, 0, 0]
        func number(_ i: Int) -> Double { numbers[picks[i] % numbers.count] }
        switch selector % 2 {
        case 0:
            return .coordinates(
                page: pages[(picks[0] >> 4) % pages.count], x: number(0), y: number(1), width: number(2),
                height: number(3))
        default:
            return .placeholder(word: "SIGNHERE", width: number(2), height: number(3))
        }
    }

    /// A 2 × 2 RGBA PNG (opaque, half and fully transparent pixels).
    static let tinyPNG: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x72, 0xB6, 0x0D, 0x24, 0x00, 0x00, 0x00,
        0x14, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x08, 0x1B, 0x18, 0xC0, 0x34,
        0x10, 0x00, 0x00, 0x3F, 0xD7, 0x08, 0x79, 0x8F, 0x13, 0x8A, 0x8A, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
        0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
    static let fontSizes: [Double?] = [nil, .nan, .infinity, 0, -1, 1, 11, 144, 144.5, 1e308]
    static let texts: [String?] = [
        nil, "", "Signed\r\nby\rFuzz\n", "日本語 € — “quotes”", String(repeating: "long words ", count: 500),
        String(repeating: "x", count: 5000),
    ]

    /// What the signature shows, from the byte before the five placement bytes: font size,
    /// text (empty, multi-line, non-Latin, longer than allowed), font, background, and the tiny
    /// PNG (whose writing, /SMask included, is then on every visible path).
    static func appearance(_ bytes: [UInt8]) -> SignatureAppearance {
        let pick = Int(bytes.dropLast(5).last ?? 0)
        var appearance = SignatureAppearance(
            text: texts[pick % texts.count], font: StandardFont.allCases[pick % StandardFont.allCases.count],
            fontSize: fontSizes[(pick >> 3) % fontSizes.count], textColor: RGBColor(red: 200, green: 0, blue: 0),
            background: pick & 0x40 == 0 ? nil : RGBColor(red: 255, green: 255, blue: 200))
        if pick & 0x80 != 0 { appearance.image = try? SignatureImage(bytes: tinyPNG) }
        return appearance
    }
}
