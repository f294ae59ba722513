import Foundation

/// Serializes objects back to PDF syntax. Output is deterministic and ASCII-only except for
/// stream data.
enum PDFSerializer {
    static func bytes(_ object: PDFObject) -> [UInt8] {
        var out: [UInt8] = []
        write(object, into: &out)
        return out
    }

    static func write(_ object: PDFObject, into out: inout [UInt8]) {
        switch object {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let i): out += Array(String(i).utf8)
        case .real(let r): out += Array(formatReal(r).utf8)
        case .string(let s): writeLiteral(s, into: &out)
        case .hexString(let s): writeHex(s, into: &out)
        case .name(let n): writeName(n, into: &out)
        case .ref(let r): out += Array("\(r.num) \(r.gen) R".utf8)
        case .raw(let b): out += b
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x20) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dict(let d): writeDict(d, into: &out)
        case .stream(let s):
            var d = s.dict
            d["Length"] = .int(s.data.count)
            writeDict(d, into: &out)
            out += Array("\nstream\n".utf8)
            out += s.data
            out += Array("\nendstream".utf8)
        }
    }

    static func writeDict(_ d: PDFDict, into out: inout [UInt8]) {
        out += Array("<<".utf8)
        for (key, value) in d.entries {
            writeName(key, into: &out)
            out.append(0x20)
            write(value, into: &out)
        }
        out += Array(">>".utf8)
    }

    /// Reals without exponent notation (PDF has none), shortest round-trip digits when possible.
    static func formatReal(_ r: Double) -> String {
        guard r.isFinite else { return "0" }
        if r == r.rounded(), abs(r) < 1e15 { return String(Int(r)) }
        let d = String(r)
        if !d.contains("e") && !d.contains("E") { return d }
        var s = String(format: "%.10f", r)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    static func writeName(_ name: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "/"))
        for scalar in name.unicodeScalars {
            let b = UInt8(truncatingIfNeeded: scalar.value)
            if b > 0x20, b < 0x7F, b != UInt8(ascii: "#"), !PDFBytes.isDelimiter(b) {
                out.append(b)
            } else {
                out += Array(String(format: "#%02X", b).utf8)
            }
        }
    }

    static func writeLiteral(_ s: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "("))
        for b in s {
            switch b {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0x0D: out += Array("\\r".utf8)
            case 0x0A: out += Array("\\n".utf8)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: ")"))
    }

    static func writeHex(_ s: [UInt8], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "<"))
        out += hexDigits(s)
        out.append(UInt8(ascii: ">"))
    }

    static func hexDigits(_ s: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count * 2)
        for b in s {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return out
    }

    /// A text string (§7.9.2.2): PDFDocEncoding-compatible ASCII as a literal, else UTF-16BE.
    static func textString(_ text: String) -> PDFObject {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            return .string(Array(text.utf8))
        }
        var bytes: [UInt8] = [0xFE, 0xFF]
        for unit in text.utf16 {
            bytes.append(UInt8(unit >> 8))
            bytes.append(UInt8(unit & 0xFF))
        }
        return .hexString(bytes)
    }

    /// `D:YYYYMMDDHHmmSS+00'00'` in UTC.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "D:%04d%02d%02d%02d%02d%02d+00'00'", c.year ?? 1970, c.month ?? 1, c.day ?? 1,
            c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }
}
