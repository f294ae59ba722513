/// A PNG or JPEG checked and converted for a PDF image XObject. JPEG data is embedded as it is
/// (`/DCTDecode`) after its header is read; a PNG is decoded completely (so a damaged one is
/// refused here, never drawn half), then embedded as `/FlateDecode` samples, with its alpha as an
/// `/SMask`. Every failure is `PDF_BAD_VISIBLE_SIGNATURE`; the work is bounded by `maxBytes`,
/// `maxSide` and `maxDecodedBytes`.
public struct SignatureImage: Sendable, Equatable {
    public enum Format: String, Sendable {
        case png = "PNG"
        case jpeg = "JPEG"
    }

    /// The image's own format (found from its bytes, whatever the client called it).
    public let format: Format
    /// Pixels.
    public let width: Int
    public let height: Int
    let colorSpace: ColorSpace
    let bitsPerComponent: Int
    let encoding: Encoding
    let data: [UInt8]
    /// /Decode for inverted (Adobe) CMYK JPEGs.
    let decode: [Int]?
    /// One 8-bit opacity sample per pixel, uncompressed; nil when the image is opaque.
    let alpha: [UInt8]?

    enum ColorSpace: Sendable, Equatable {
        case gray, rgb, cmyk
        /// Palette of `count` RGB entries.
        case indexed(palette: [UInt8])

        var components: Int {
            switch self {
            case .gray, .indexed: return 1
            case .rgb: return 3
            case .cmyk: return 4
            }
        }
    }

    enum Encoding: Sendable, Equatable {
        /// JPEG bytes.
        case dct
        /// zlib data of PNG-filtered rows (a PNG's own IDAT data): /Predictor 15.
        case pngPredicted
        /// Plain samples, deflated when written.
        case raw
    }

    /// The largest image file accepted (bytes).
    public static let maxBytes = 2 << 20
    /// The largest width or height (pixels).
    public static let maxSide = 10_000
    /// The most pixels (readers decode every one of them to draw the image).
    public static let maxPixels = 16 << 20
    /// The most bytes a PNG may inflate to (its filtered rows).
    public static let maxDecodedBytes = 32 << 20

    /// Reads `bytes` as a PNG or a JPEG (by their signature).
    public init(bytes: [UInt8]) throws(PDFError) {
        guard !bytes.isEmpty else { throw PDFError.badImage("the image is empty") }
        guard bytes.count <= Self.maxBytes else {
            throw PDFError.badImage("the image is larger than \(Self.maxBytes) bytes")
        }
        if bytes.starts(with: PNGDecoder.signature) {
            self = try PNGDecoder.decode(bytes)
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = try Self.jpeg(bytes)
        } else {
            throw PDFError.badImage("the image is neither a PNG nor a JPEG")
        }
    }

    init(
        format: Format, width: Int, height: Int, colorSpace: ColorSpace, bitsPerComponent: Int, encoding: Encoding,
        data: [UInt8], decode: [Int]? = nil, alpha: [UInt8]? = nil
    ) {
        self.format = format
        self.width = width
        self.height = height
        self.colorSpace = colorSpace
        self.bitsPerComponent = bitsPerComponent
        self.encoding = encoding
        self.data = data
        self.decode = decode
        self.alpha = alpha
    }

    static func checkSize(_ width: Int, _ height: Int) throws(PDFError) {
        guard (1...maxSide).contains(width), (1...maxSide).contains(height) else {
            throw PDFError.badImage("the image is \(width) × \(height) pixels; each side must be 1...\(maxSide)")
        }
        guard width * height <= maxPixels else {
            throw PDFError.badImage("the image has more than \(maxPixels) pixels")
        }
    }

    /// A baseline, extended or progressive (Huffman) JPEG with 1, 3 or 4 components of 8 bits:
    /// what every PDF reader's /DCTDecode takes. Only the header is read; the scan data is the
    /// reader's to decode.
    static func jpeg(_ bytes: [UInt8]) throws(PDFError) -> SignatureImage {
        var index = 2
        var adobe = false
        func byte(_ i: Int) throws(PDFError) -> Int {
            guard i < bytes.count else { throw PDFError.badImage("the JPEG ends inside its header") }
            return Int(bytes[i])
        }
        while true {
            guard try byte(index) == 0xFF else { throw PDFError.badImage("the JPEG header is damaged") }
            index += 1
            // Fill bytes before a marker.
            while try byte(index) == 0xFF { index += 1 }
            let marker = try byte(index)
            index += 1
            switch marker {
            case 0x01, 0xD0...0xD7: continue
            case 0xD8, 0xD9, 0xDA:
                throw PDFError.badImage("the JPEG has no frame header before its data")
            default: break
            }
            let length = try byte(index) << 8 | byte(index + 1)
            guard length >= 2, index + length <= bytes.count else {
                throw PDFError.badImage("the JPEG header is damaged")
            }
            let segment = index + 2
            switch marker {
            case 0xEE where length >= 7 && Array(bytes[segment..<(segment + 5)]) == Array("Adobe".utf8):
                adobe = true
            case 0xC0, 0xC1, 0xC2:
                guard length >= 8 else { throw PDFError.badImage("the JPEG frame header is damaged") }
                let precision = try byte(segment)
                let height = try byte(segment + 1) << 8 | byte(segment + 2)
                let width = try byte(segment + 3) << 8 | byte(segment + 4)
                let components = try byte(segment + 5)
                guard precision == 8 else { throw PDFError.badImage("only 8-bit JPEGs are supported") }
                try checkSize(width, height)
                guard length >= 8 + 3 * components else { throw PDFError.badImage("the JPEG frame header is damaged") }
                let space: ColorSpace
                switch components {
                case 1: space = .gray
                case 3: space = .rgb
                case 4: space = .cmyk
                default: throw PDFError.badImage("a JPEG with \(components) components is not supported")
                }
                return SignatureImage(
                    format: .jpeg, width: width, height: height, colorSpace: space, bitsPerComponent: 8,
                    encoding: .dct, data: bytes, decode: space == .cmyk && adobe ? [1, 0, 1, 0, 1, 0, 1, 0] : nil)
            case 0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                throw PDFError.badImage("lossless, hierarchical and arithmetic-coded JPEGs are not supported")
            default: break
            }
            index += length
        }
    }
}

extension PDFError {
    static func badImage(_ message: String) -> PDFError { badVisibleSignature(message) }
}
