import Crypto
import Foundation
import PDF

extension SignatureCheck {
    /// `signed` must be `original` followed by an incremental update whose last `/ByteRange
    /// [0 a b c]` covers the whole file but the `/Contents <hex>` string at `a..<b`, which holds
    /// the CMS (zero-padded) and lies in the appended part.
    func checkPAdES(signed: [UInt8], original: [UInt8]) throws(SigningError) {
        guard signed.count > original.count, Self.startsWith(signed, original) else {
            throw .signatureRejected("the signed PDF does not start with the original document")
        }
        try checkPAdES(signed: signed, afterPrefixOf: original.count)
    }

    /// The same, when the caller has checked that `signed` starts with the original document,
    /// `originalLength` bytes long.
    public func checkPAdES(signed: [UInt8], afterPrefixOf originalLength: Int) throws(SigningError) {
        guard originalLength > 0, signed.count > originalLength else {
            throw .signatureRejected("the signed PDF does not start with the original document")
        }
        var original = SHA256()
        original.update(data: signed[0..<originalLength])
        try checkPAdES(appended: Array(signed[originalLength...]), toOriginal: original, length: originalLength)
    }

    /// The same on the appended part alone: `tail` is what a signer adds after the original
    /// document, whose `originalLength` bytes `original` has already hashed (the gateway reads
    /// them from its spool file), so the signed PDF is never put together in memory. Every
    /// `/ByteRange` number is a position in the whole file.
    public func checkPAdES(appended tail: [UInt8], toOriginal original: SHA256, length originalLength: Int)
        throws(SigningError)
    {
        guard originalLength > 0, !tail.isEmpty else {
            throw .signatureRejected("the signed PDF does not start with the original document")
        }
        let fileSize = originalLength + tail.count
        let range = try Self.lastByteRange(in: tail, fileSize: fileSize)
        let (a, b, c) = (range[1], range[2], range[3])
        guard range[0] == 0 else { throw .signatureRejected("/ByteRange does not start at 0") }
        guard a < b else { throw .signatureRejected("/ByteRange's ranges overlap or are out of order") }
        guard b <= fileSize, c == fileSize - b else {
            throw .signatureRejected("/ByteRange does not cover the end of the document")
        }
        guard a >= originalLength else {
            throw .signatureRejected("the /ByteRange gap is not in the appended update")
        }
        let gap = (a - originalLength)..<(b - originalLength)
        let cms = try SignedCMS(der: try Self.contentsCMS(tail, gap: gap))
        var hasher = original
        hasher.update(data: tail[0..<gap.lowerBound])
        hasher.update(data: tail[gap.upperBound...])
        try check(cms, contentDigest: Array(hasher.finalize()))
    }

    /// Whether `bytes` begins with `prefix` (`memcmp`: a 200 KB document in microseconds).
    public static func startsWith(_ bytes: [UInt8], _ prefix: [UInt8]) -> Bool {
        guard prefix.count <= bytes.count else { return false }
        return bytes.withUnsafeBytes { whole in
            prefix.withUnsafeBytes { part in
                guard let wholeBase = whole.baseAddress, let partBase = part.baseAddress else { return part.isEmpty }
                return memcmp(wholeBase, partBase, part.count) == 0
            }
        }
    }

    /// The four numbers of the last `/ByteRange [n n n n]` in `bytes` (the appended part of a
    /// file of `fileSize` bytes), each at most `fileSize`.
    static func lastByteRange(in bytes: [UInt8], fileSize: Int) throws(SigningError) -> [Int] {
        let key = Array("/ByteRange".utf8)
        var position = bytes.count - key.count
        while position >= 0, !bytes[position..<(position + key.count)].elementsEqual(key) { position -= 1 }
        guard position >= 0 else { throw .signatureRejected("the appended update has no /ByteRange") }
        let malformed = SigningError.signatureRejected("/ByteRange is not an array of four non-negative integers")
        var i = skipWhitespace(bytes, position + key.count)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { throw malformed }
        i += 1
        var numbers: [Int] = []
        for _ in 0..<4 {
            i = skipWhitespace(bytes, i)
            var value = 0
            var digits = 0
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) {
                value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                digits += 1
                guard value <= fileSize else { throw malformed }
                i += 1
            }
            guard digits > 0 else { throw malformed }
            numbers.append(value)
        }
        i = skipWhitespace(bytes, i)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "]") else { throw malformed }
        return numbers
    }

    /// The CMS in the gap `a..<b`: it must be the value of `/Contents`, `<` hex digits `>`, the
    /// DER followed by zero padding only.
    static func contentsCMS(_ bytes: [UInt8], gap: Range<Int>) throws(SigningError) -> ArraySlice<UInt8> {
        guard gap.count >= 4, bytes[gap.lowerBound] == UInt8(ascii: "<"), bytes[gap.upperBound - 1] == UInt8(ascii: ">")
        else { throw .signatureRejected("the /ByteRange gap is not a <hex> string") }
        // Never decode more than the largest hole Signet reserves.
        guard gap.count <= 2 * PDFSigner.maxContentsCapacity + 2 else {
            throw .signatureRejected("/Contents is larger than any signature Signet makes")
        }
        let key = Array("/Contents".utf8)
        var end = gap.lowerBound
        while end > 0, isWhitespace(bytes[end - 1]) { end -= 1 }
        guard end >= key.count, bytes[(end - key.count)..<end].elementsEqual(key) else {
            throw .signatureRejected("the /ByteRange gap is not the value of /Contents")
        }
        let hex = bytes[(gap.lowerBound + 1)..<(gap.upperBound - 1)]
        guard hex.count % 2 == 0 else { throw .signatureRejected("/Contents has an odd number of hex digits") }
        var der: [UInt8] = []
        der.reserveCapacity(hex.count / 2)
        var i = hex.startIndex
        while i < hex.endIndex {
            guard let high = hexValue(hex[i]), let low = hexValue(hex[i + 1]) else {
                throw .signatureRejected("/Contents holds bytes that are not hex digits")
            }
            der.append(high << 4 | low)
            i += 2
        }
        guard der.first == 0x30 else { throw .signatureRejected("/Contents does not hold a CMS") }
        guard let length = SignedCMS.encodedLength(der[...]) else {
            throw .signatureRejected("the CMS in /Contents is truncated or not DER")
        }
        guard der[length...].allSatisfy({ $0 == 0 }) else {
            throw .signatureRejected("/Contents holds bytes after the CMS that are not zero padding")
        }
        return der[..<length]
    }

    static func skipWhitespace(_ bytes: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
        return i
    }

    /// PDF white-space (ISO 32000-1 §7.2.2).
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x00
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
