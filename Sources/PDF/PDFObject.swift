/// An indirect reference `num gen R`.
struct PDFRef: Hashable, Sendable, CustomStringConvertible {
    let num: Int
    let gen: Int
    var description: String { "\(num) \(gen) R" }
}

/// The PDF object model (ISO 32000-1 §7.3). Names are kept as Latin-1 strings of their decoded
/// bytes so that any name round-trips exactly.
indirect enum PDFObject: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case real(Double)
    case string([UInt8])
    case hexString([UInt8])
    case name(String)
    case array([PDFObject])
    case dict(PDFDict)
    case ref(PDFRef)
    case stream(PDFStream)
    /// Verbatim bytes, only produced by the writer (placeholders it patches later).
    case raw([UInt8])

    var dict: PDFDict? {
        switch self {
        case .dict(let d): return d
        case .stream(let s): return s.dict
        default: return nil
        }
    }
    var array: [PDFObject]? { if case .array(let a) = self { return a } else { return nil } }
    var name: String? { if case .name(let n) = self { return n } else { return nil } }
    var ref: PDFRef? { if case .ref(let r) = self { return r } else { return nil } }
    var int: Int? { if case .int(let i) = self { return i } else { return nil } }
    var stream: PDFStream? { if case .stream(let s) = self { return s } else { return nil } }
    var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Integer or real as a Double (finite only).
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .real(let r): return r.isFinite ? r : nil
        default: return nil
        }
    }
    /// The bytes of a literal or hex string.
    var stringBytes: [UInt8]? {
        switch self {
        case .string(let b), .hexString(let b): return b
        default: return nil
        }
    }
}

/// A stream: its dictionary and its raw (still encoded) data.
struct PDFStream: Sendable {
    var dict: PDFDict
    var data: [UInt8]
}
