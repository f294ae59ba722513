import CSignetZlib

/// zlib inflate/deflate and the PNG predictors used by xref and object streams.
enum Flate {
    /// Inflates zlib data, producing at most `limit` bytes (`PDF_TOO_COMPLEX` beyond). With
    /// `allowPartial`, returns what was decoded before damage (acceptable for page content,
    /// never for xref data).
    static func inflate(_ input: [UInt8], limit: Int, allowPartial: Bool = false) throws -> [UInt8] {
        guard !input.isEmpty else { return [] }
        guard input.count <= Int(uInt.max) else { throw PDFError.tooComplex("compressed stream too large") }
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw PDFError.malformed("zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    status = CSignetZlib.inflate(&stream, Z_NO_FLUSH)
                    let produced = outBuf.count - Int(stream.avail_out)
                    output.append(contentsOf: outBuf[0..<produced])
                }
                if output.count > limit { status = Z_MEM_ERROR }
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        if output.count > limit { throw PDFError.tooComplex("a stream decodes to more than \(limit) bytes") }
        if status == Z_STREAM_END || allowPartial { return output }
        // Some producers omit the end marker although all data is present.
        if status == Z_OK || status == Z_BUF_ERROR, stream.avail_in == 0, !output.isEmpty {
            return output
        }
        throw PDFError.malformed("corrupt Flate stream (zlib status \(status))")
    }

    static func deflate(_ input: [UInt8], level: Int32 = Z_BEST_COMPRESSION) -> [UInt8] {
        var destLen = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(destLen))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &destLen, i.baseAddress, uLong(i.count), level)
            }
        }
        guard rc == Z_OK else { return [] }
        return Array(out.prefix(Int(destLen)))
    }

    /// Undoes /Predictor (PNG 10–15; 1 = none). TIFF predictor 2 is rejected.
    static func unpredict(_ data: [UInt8], parms: PDFDict?) throws -> [UInt8] {
        guard let parms, let predictor = parms["Predictor"]?.int, predictor > 1 else { return data }
        guard predictor >= 10 else { throw PDFError.malformed("unsupported predictor \(predictor)") }
        let colors = parms["Colors"]?.int ?? 1
        let bpc = parms["BitsPerComponent"]?.int ?? 8
        let columns = parms["Columns"]?.int ?? 1
        guard (1...32).contains(colors), [1, 2, 4, 8, 16].contains(bpc), (1...1 << 20).contains(columns)
        else { throw PDFError.malformed("bad predictor parameters") }
        let bpp = max(1, (colors * bpc + 7) / 8)
        let rowLength = (colors * bpc * columns + 7) / 8
        guard rowLength <= 1 << 20 else { throw PDFError.malformed("predictor rows too long") }
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var previous = [UInt8](repeating: 0, count: rowLength)
        var i = 0
        while i < data.count {
            let filter = data[i]
            i += 1
            let available = min(rowLength, data.count - i)
            var row = [UInt8](repeating: 0, count: rowLength)
            for j in 0..<available { row[j] = data[i + j] }
            i += available
            for j in 0..<rowLength {
                let left = j >= bpp ? row[j - bpp] : 0
                let up = previous[j]
                let upLeft = j >= bpp ? previous[j - bpp] : 0
                switch filter {
                case 0: break
                case 1: row[j] = row[j] &+ left
                case 2: row[j] = row[j] &+ up
                case 3: row[j] = row[j] &+ UInt8((Int(left) + Int(up)) / 2)
                case 4: row[j] = row[j] &+ paeth(left, up, upLeft)
                default: throw PDFError.malformed("bad PNG predictor filter \(filter)")
                }
            }
            out += row[0..<available]
            previous = row
        }
        return out
    }

    /// The Paeth predictor (PNG, ISO/IEC 15948 §9.4), shared by PDF's PNG predictors and the
    /// PNG decoder.
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a))
        let pb = abs(p - Int(b))
        let pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// Decodes a stream's data (FlateDecode with predictors, ASCII85Decode, ASCIIHexDecode), each
    /// stage producing at most `limit` bytes (`PDF_TOO_COMPLEX` beyond).
    static func decode(_ stream: PDFStream, limit: Int, allowPartial: Bool = false) throws -> [UInt8] {
        var filters: [String] = []
        var parms: [PDFDict?] = []
        switch stream.dict["Filter"] {
        case .name(let n)?:
            filters = [n]
            parms = [stream.dict["DecodeParms"]?.dict]
        case .array(let a)?:
            filters = a.compactMap(\.name)
            let p = stream.dict["DecodeParms"]?.array ?? []
            parms = filters.indices.map { $0 < p.count ? p[$0].dict : nil }
        default: break
        }
        var data = stream.data
        for (i, filter) in filters.enumerated() {
            switch filter {
            case "FlateDecode", "Fl":
                data = try inflate(data, limit: limit, allowPartial: allowPartial)
                data = try unpredict(data, parms: i < parms.count ? parms[i] : nil)
            case "ASCII85Decode", "A85": data = try ASCIIFilters.ascii85(data)
            case "ASCIIHexDecode", "AHx": data = try ASCIIFilters.asciiHex(data)
            default: throw PDFError.malformed("unsupported stream filter /\(filter)")
            }
            guard data.count <= limit else { throw PDFError.tooComplex("a stream decodes to more than \(limit) bytes") }
        }
        return data
    }
}
