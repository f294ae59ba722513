/// A document with its signature update laid out and an empty /Contents hole.
public struct PreparedPDF: Sendable {
    /// The original bytes followed by the incremental update; the hole is filled with '0'.
    public var bytes: [UInt8]
    /// `[0, a, b, c]`: the signed ranges are `0..<a` and `b..<b+c`; `a..<b` is `<hex…>`.
    public let byteRange: [Int]

    init(bytes: [UInt8], byteRange: [Int]) {
        self.bytes = bytes
        self.byteRange = byteRange
    }

    /// Bytes the CMS message digest covers.
    public func signedData() -> [UInt8] {
        guard byteRange.count == 4, byteRange[1] <= byteRange[2], byteRange[2] + byteRange[3] <= bytes.count else {
            return []
        }
        return Array(bytes[0..<byteRange[1]]) + Array(bytes[byteRange[2]..<(byteRange[2] + byteRange[3])])
    }

    /// Capacity of the hole in bytes of DER.
    public var contentsCapacity: Int { (byteRange[2] - byteRange[1] - 2) / 2 }

    /// Hex-encodes `cms` into the hole (the rest stays '0' padding).
    public mutating func embed(cms: [UInt8]) throws(PDFError) {
        guard !cms.isEmpty else { throw PDFError.malformed("empty CMS") }
        guard cms.count <= contentsCapacity else {
            throw PDFError.contentsTooSmall("CMS of \(cms.count) bytes exceeds the reserved \(contentsCapacity)")
        }
        let hex = PDFSerializer.hexDigits(cms)
        let start = byteRange[1] + 1
        guard start + hex.count < byteRange[2], byteRange[2] <= bytes.count else {
            throw PDFError.malformed("the prepared bytes were changed; the hole is gone")
        }
        bytes.replaceSubrange(start..<(start + hex.count), with: hex)
    }
}
