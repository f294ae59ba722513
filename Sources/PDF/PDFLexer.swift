/// A token of the PDF syntax (objects and content streams share it).
enum PDFToken: Sendable {
    case int(Int)
    case real(Double)
    case name(String)
    case string([UInt8])
    case hexString([UInt8])
    case arrayOpen, arrayClose, dictOpen, dictClose
    case keyword(String)
    case eof
}

/// A tolerant tokenizer over a byte buffer: comments, CR/LF/CRLF and NUL count as whitespace.
/// Every index is bounds-checked; malformed input yields `PDFError` (`PDF_MALFORMED`).
struct PDFLexer {
    let bytes: [UInt8]
    var pos: Int
    let end: Int

    init(_ bytes: [UInt8], at pos: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.end = min(end ?? bytes.count, bytes.count)
        self.pos = max(0, min(pos, self.end))
    }

    func peekByte(_ offset: Int = 0) -> UInt8? {
        let i = pos + offset
        return i >= 0 && i < end ? bytes[i] : nil
    }

    mutating func skipWhitespaceAndComments() {
        while pos < end {
            let b = bytes[pos]
            if PDFBytes.isWhitespace(b) {
                pos += 1
            } else if b == UInt8(ascii: "%") {
                while pos < end, bytes[pos] != 0x0A, bytes[pos] != 0x0D { pos += 1 }
            } else {
                return
            }
        }
    }

    mutating func next() throws -> PDFToken {
        skipWhitespaceAndComments()
        guard pos < end else { return .eof }
        let b = bytes[pos]
        switch b {
        case UInt8(ascii: "["): pos += 1; return .arrayOpen
        case UInt8(ascii: "]"): pos += 1; return .arrayClose
        case UInt8(ascii: "{"), UInt8(ascii: "}"):
            pos += 1
            return .keyword(String(UnicodeScalar(b)))
        case UInt8(ascii: "<"):
            if peekByte(1) == UInt8(ascii: "<") { pos += 2; return .dictOpen }
            return .hexString(try readHexString())
        case UInt8(ascii: ">"):
            if peekByte(1) == UInt8(ascii: ">") { pos += 2; return .dictClose }
            throw PDFError.malformed("unexpected '>' at \(pos)")
        case UInt8(ascii: "("): return .string(try readLiteralString())
        case UInt8(ascii: "/"): return .name(readName())
        case UInt8(ascii: ")"): throw PDFError.malformed("unexpected ')' at \(pos)")
        default: return readNumberOrKeyword()
        }
    }

    private mutating func readName() -> String {
        pos += 1
        var scalars = String.UnicodeScalarView()
        while pos < end, PDFBytes.isRegular(bytes[pos]) {
            var b = bytes[pos]
            if b == UInt8(ascii: "#"), let h = peekByte(1).flatMap(PDFBytes.hexValue),
                let l = peekByte(2).flatMap(PDFBytes.hexValue)
            {
                b = h << 4 | l
                pos += 2
            }
            scalars.append(UnicodeScalar(b))
            pos += 1
        }
        return String(scalars)
    }

    private mutating func readHexString() throws -> [UInt8] {
        pos += 1
        var out: [UInt8] = []
        var high: UInt8?
        while pos < end {
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: ">") {
                if let h = high { out.append(h << 4) }
                return out
            }
            if PDFBytes.isWhitespace(b) { continue }
            guard let v = PDFBytes.hexValue(b) else { throw PDFError.malformed("bad hex string") }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        throw PDFError.malformed("unterminated hex string")
    }

    private mutating func readLiteralString() throws -> [UInt8] {
        pos += 1
        var out: [UInt8] = []
        var depth = 1
        while pos < end {
            let b = bytes[pos]
            pos += 1
            switch b {
            case UInt8(ascii: "("):
                depth += 1
                out.append(b)
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return out }
                out.append(b)
            case UInt8(ascii: "\\"):
                readEscape(into: &out)
            case 0x0D:
                if peekByte() == 0x0A { pos += 1 }
                out.append(0x0A)
            default:
                out.append(b)
            }
        }
        throw PDFError.malformed("unterminated literal string")
    }

    private mutating func readEscape(into out: inout [UInt8]) {
        guard pos < end else { return }
        let e = bytes[pos]
        pos += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case 0x0D: if peekByte() == 0x0A { pos += 1 }
        case 0x0A: break
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var v = Int(e - 0x30)
            var n = 1
            while n < 3, let d = peekByte(), d >= 0x30, d <= 0x37 {
                v = v * 8 + Int(d - 0x30)
                pos += 1
                n += 1
            }
            out.append(UInt8(truncatingIfNeeded: v))
        default: out.append(e)
        }
    }

    private mutating func readNumberOrKeyword() -> PDFToken {
        let start = pos
        while pos < end, PDFBytes.isRegular(bytes[pos]) { pos += 1 }
        if pos == start {
            // A lone delimiter we do not understand: consume it as a keyword.
            pos += 1
            return .keyword(String(UnicodeScalar(bytes[start])))
        }
        let slice = bytes[start..<pos]
        if let number = Self.parseNumber(slice) { return number }
        return .keyword(String(decoding: slice, as: UTF8.self))
    }

    /// Integers and reals, tolerating repeated leading signs; integer overflow degrades to real.
    static func parseNumber(_ s: ArraySlice<UInt8>) -> PDFToken? {
        var i = s.startIndex
        var negative = false
        while i < s.endIndex, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") {
            if s[i] == UInt8(ascii: "-") { negative.toggle() }
            i += 1
        }
        guard i < s.endIndex else { return nil }
        var intPart = 0
        var overflow = false
        var digits = 0
        var fraction = 0.0
        var scale = 0.1
        var seenDot = false
        while i < s.endIndex {
            let c = s[i]
            if c == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
            } else if c >= 0x30, c <= 0x39 {
                digits += 1
                let d = Int(c - 0x30)
                if seenDot {
                    fraction += Double(d) * scale
                    scale /= 10
                } else {
                    let (m, o1) = intPart.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(d)
                    if o1 || o2 { overflow = true } else { intPart = a }
                }
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if !seenDot && !overflow { return .int(negative ? -intPart : intPart) }
        let value = (overflow ? Double.greatestFiniteMagnitude : Double(intPart)) + fraction
        return .real(negative ? -value : value)
    }
}
