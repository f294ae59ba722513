/// A minimal zlib (RFC 1950/1951) encoder, so that TestSupport needs no C library: stored
/// blocks for ordinary data, and one hand-built dynamic Huffman block for long runs of zero
/// bytes (about 2 bits per 258 zeros, the ratio of a decompression bomb).
public enum Zlib {
    /// `data` in stored (uncompressed) blocks.
    public static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out += storedBlocks(data, final: true)
        return out + adler32(data)
    }

    /// The CRC-32 of `data` (ISO 3309, as PNG chunks and gzip use it).
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// `prefix` (stored) followed by `zeros` zero bytes, compressed about 1000 : 1.
    public static func prefix(_ prefix: [UInt8], thenZeros zeros: Int) -> [UInt8] {
        precondition(zeros >= 1)
        var out: [UInt8] = [0x78, 0x01]
        if !prefix.isEmpty { out += storedBlocks(prefix, final: false) }
        var bits = BitWriter()
        bits.zeroRunBlock(count: zeros)
        out += bits.bytes
        // Adler-32 over prefix + zeros: zero bytes leave `a` alone and add `a` to `b` each time.
        var (a, b) = adler32Sums(prefix)
        b = (b + UInt32(zeros % 65_521) * a) % 65_521
        return out + [UInt8(b >> 8), UInt8(b & 0xFF), UInt8(a >> 8), UInt8(a & 0xFF)]
    }

    private static func storedBlocks(_ data: [UInt8], final: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        repeat {
            let end = min(data.count, start + 65_535)
            let last = end == data.count
            let length = UInt16(end - start)
            out.append(last && final ? 1 : 0)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            out += data[start..<end]
            start = end
        } while start < data.count
        return out
    }

    private static func adler32Sums(_ data: [UInt8]) -> (a: UInt32, b: UInt32) {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (a, b)
    }

    private static func adler32(_ data: [UInt8]) -> [UInt8] {
        let (a, b) = adler32Sums(data)
        let value = b << 16 | a
        return [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Packs bits least significant first, as deflate does.
    private struct BitWriter {
        var bytes: [UInt8] = []
        private var used = 8

        mutating func write(_ value: Int, _ count: Int) {
            for i in 0..<count {
                if used == 8 {
                    bytes.append(0)
                    used = 0
                }
                bytes[bytes.count - 1] |= UInt8((value >> i) & 1) << used
                used += 1
            }
        }

        /// `count` zero bits, a byte at a time where possible.
        mutating func zeros(_ count: Int) {
            let head = min(count, 8 - used)
            used += head
            let rest = count - head
            bytes += [UInt8](repeating: 0, count: rest / 8)
            if rest % 8 > 0 {
                bytes.append(0)
                used = rest % 8
            } else if rest > 0 {
                used = 8
            }
        }

        /// Huffman codes go most significant bit first.
        mutating func code(_ value: Int, _ length: Int) {
            for i in stride(from: length - 1, through: 0, by: -1) { write((value >> i) & 1, 1) }
        }

        /// One final dynamic block: literal 0, then (length 258, distance 1) matches, then literal
        /// zeros for the rest. Literal/length code: 285 → `0`, 0 → `10`, 256 → `11`; one distance
        /// code (0 → `0`); code-length code: 18 → `0`, 1 → `10`, 2 → `11`.
        mutating func zeroRunBlock(count: Int) {
            write(1, 1)  // BFINAL
            write(2, 2)  // dynamic Huffman
            write(29, 5)  // HLIT: 286 literal/length codes
            write(0, 5)  // HDIST: 1 distance code
            write(14, 4)  // HCLEN: 18 code-length codes
            let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]
            let lengths = [18: 1, 1: 2, 2: 2]
            for symbol in order { write(lengths[symbol] ?? 0, 3) }
            // Code lengths: [0]=2, 255 zeros, [256]=2, 28 zeros, [285]=1; distance [0]=1.
            code(3, 2)
            code(0, 1)
            write(138 - 11, 7)
            code(0, 1)
            write(117 - 11, 7)
            code(3, 2)
            code(0, 1)
            write(28 - 11, 7)
            code(2, 2)
            code(2, 2)
            // Data.
            code(2, 2)
            let matches = (count - 1) / 258
            zeros(2 * matches)  // each match: length 258 (`0`), distance 1 (`0`)
            for _ in 0..<((count - 1) % 258) { code(2, 2) }
            code(3, 2)  // end of block
        }
    }
}
