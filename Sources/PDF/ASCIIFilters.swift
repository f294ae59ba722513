/// ASCII85Decode and ASCIIHexDecode (§7.4.2, §7.4.3).
enum ASCIIFilters {
    static func ascii85(_ input: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 4 / 5)
        var group: [UInt32] = []
        var i = 0
        if input.count >= 2, input[0] == UInt8(ascii: "<"), input[1] == UInt8(ascii: "~") { i = 2 }
        func flush(_ count: Int) {
            var value: UInt32 = 0
            for d in group { value = value &* 85 &+ d }
            for k in 0..<(count - 1) { out.append(UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k)))) }
        }
        while i < input.count {
            let b = input[i]
            i += 1
            if PDFBytes.isWhitespace(b) { continue }
            if b == UInt8(ascii: "~") { break }
            if b == UInt8(ascii: "z"), group.isEmpty {
                out += [0, 0, 0, 0]
                continue
            }
            guard b >= 0x21, b <= 0x75 else { throw PDFError.malformed("bad ASCII85 data") }
            group.append(UInt32(b - 0x21))
            if group.count == 5 {
                flush(5)
                group.removeAll(keepingCapacity: true)
            }
        }
        if !group.isEmpty {
            let n = group.count
            guard n > 1 else { throw PDFError.malformed("bad ASCII85 final group") }
            while group.count < 5 { group.append(84) }
            flush(n)
        }
        return out
    }

    static func asciiHex(_ input: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for b in input {
            if b == UInt8(ascii: ">") { break }
            if PDFBytes.isWhitespace(b) { continue }
            guard let v = PDFBytes.hexValue(b) else { throw PDFError.malformed("bad ASCIIHex data") }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        if let h = high { out.append(h << 4) }
        return out
    }
}
