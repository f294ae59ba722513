import CSignetZlib

/// Decodes a PNG (ISO/IEC 15948) into the samples of a PDF image. Every colour type and bit
/// depth, and Adam7 interlacing, are read; chunk CRCs are checked; unknown ancillary chunks are
/// skipped. An opaque, non-interlaced PNG keeps its own zlib data (PDF reads PNG-filtered rows with
/// /Predictor 15), after it has been decoded once to prove it whole; an image with transparency
/// (an alpha channel or `tRNS`) or interlacing becomes 8-bit samples plus an 8-bit alpha plane.
enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
        var interlaced: Bool

        var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 1 }
        var bitsPerPixel: Int { channels * bitDepth }
    }

    /// Adam7 passes: first column, first row, column step, row step; one pass when not interlaced.
    static func passes(interlaced: Bool) -> [(x: Int, y: Int, dx: Int, dy: Int)] {
        guard interlaced else { return [(0, 0, 1, 1)] }
        return [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    }

    static func decode(_ bytes: [UInt8]) throws(PDFError) -> SignatureImage {
        var index = signature.count
        var header: Header?
        var palette: [UInt8]?
        var transparency: [UInt8]?
        var compressed: [UInt8] = []
        while true {
            guard bytes.count - index >= 12 else { throw PDFError.badImage("the PNG is truncated (no IEND chunk)") }
            let length = Int(be32(bytes, index))
            guard length <= bytes.count - index - 12 else { throw PDFError.badImage("the PNG is truncated") }
            let type = Array(bytes[(index + 4)..<(index + 8)])
            let data = bytes[(index + 8)..<(index + 8 + length)]
            let expectedCRC = be32(bytes, index + 8 + length)
            let crc = bytes[(index + 4)..<(index + 8 + length)].withUnsafeBufferPointer {
                crc32(0, $0.baseAddress, uInt($0.count))
            }
            guard UInt32(crc) == expectedCRC else {
                throw PDFError.badImage("the PNG is damaged (a chunk's CRC does not match)")
            }
            index += 12 + length
            switch String(decoding: type, as: UTF8.self) {
            case "IHDR":
                guard header == nil, length == 13 else { throw PDFError.badImage("the PNG has a bad IHDR chunk") }
                header = try readHeader(Array(data))
            case "PLTE":
                guard header != nil, palette == nil, length % 3 == 0, (3...768).contains(length) else {
                    throw PDFError.badImage("the PNG has a bad PLTE chunk")
                }
                palette = Array(data)
            case "tRNS":
                transparency = Array(data)
            case "IDAT":
                guard header != nil else { throw PDFError.badImage("the PNG has image data before its IHDR chunk") }
                compressed += data
            case "IEND":
                guard let header else { throw PDFError.badImage("the PNG has no IHDR chunk") }
                return try image(header, palette: palette, transparency: transparency, compressed: compressed)
            default:
                // Bit 5 of the first byte clear: a critical chunk this decoder does not know.
                guard type[0] & 0x20 != 0 else {
                    throw PDFError.badImage("the PNG has an unknown critical chunk")
                }
            }
        }
    }

    private static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    private static func readHeader(_ data: [UInt8]) throws(PDFError) -> Header {
        let width = Int(be32(data, 0))
        let height = Int(be32(data, 4))
        try SignatureImage.checkSize(width, height)
        let header = Header(
            width: width, height: height, bitDepth: Int(data[8]), colorType: Int(data[9]), interlaced: data[12] == 1)
        let depths: [Int: Set<Int>] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let allowed = depths[header.colorType], allowed.contains(header.bitDepth) else {
            throw PDFError.badImage("the PNG's colour type and bit depth are invalid")
        }
        guard data[10] == 0, data[11] == 0, data[12] <= 1 else {
            throw PDFError.badImage("the PNG uses an unknown compression, filter or interlace method")
        }
        return header
    }

    private static func image(
        _ header: Header, palette: [UInt8]?, transparency: [UInt8]?, compressed: [UInt8]
    ) throws(PDFError) -> SignatureImage {
        let space: SignatureImage.ColorSpace
        switch header.colorType {
        case 0, 4: space = .gray
        case 3:
            guard let palette else { throw PDFError.badImage("the PNG has a palette colour type but no PLTE chunk") }
            space = .indexed(palette: palette)
        default: space = .rgb
        }
        let key = try transparencyKey(header, transparency: transparency, palette: palette)
        let rows = try unfilteredRows(header, compressed: compressed)
        let paletteCount = (palette?.count ?? 0) / 3
        let needsAlpha = header.colorType == 4 || header.colorType == 6 || key != nil
        if !needsAlpha && !header.interlaced {
            if header.colorType == 3 { try checkIndices(rows, header, paletteCount: paletteCount) }
            return SignatureImage(
                format: .png, width: header.width, height: header.height, colorSpace: space,
                bitsPerComponent: header.bitDepth, encoding: .pngPredicted, data: compressed)
        }
        var samples = Samples(header: header, paletteCount: paletteCount, key: key)
        try samples.read(rows)
        return SignatureImage(
            format: .png, width: header.width, height: header.height, colorSpace: space, bitsPerComponent: 8,
            encoding: .raw, data: samples.color, alpha: samples.alpha.contains { $0 != 255 } ? samples.alpha : nil)
    }

    /// What `tRNS` makes transparent: a gray or RGB sample value, or the alpha of each palette entry.
    enum TransparencyKey {
        case gray(Int)
        case rgb(Int, Int, Int)
        case palette([UInt8])
    }

    private static func transparencyKey(
        _ header: Header, transparency: [UInt8]?, palette: [UInt8]?
    ) throws(PDFError) -> TransparencyKey? {
        guard let t = transparency else { return nil }
        switch header.colorType {
        case 0:
            guard t.count == 2 else { throw PDFError.badImage("the PNG has a bad tRNS chunk") }
            return .gray(Int(t[0]) << 8 | Int(t[1]))
        case 2:
            guard t.count == 6 else { throw PDFError.badImage("the PNG has a bad tRNS chunk") }
            return .rgb(Int(t[0]) << 8 | Int(t[1]), Int(t[2]) << 8 | Int(t[3]), Int(t[4]) << 8 | Int(t[5]))
        case 3:
            guard t.count <= (palette?.count ?? 0) / 3 else { throw PDFError.badImage("the PNG has a bad tRNS chunk") }
            return t.allSatisfy({ $0 == 255 }) ? nil : .palette(t)
        default:
            // Not allowed with an alpha channel; ignored, as decoders do.
            return nil
        }
    }

    /// The rows of every pass, unfiltered, each with its pass geometry.
    struct Rows {
        var data: [UInt8]
        /// Per pass: offset of its first row's filter byte, pixels per row, rows, bytes per row.
        var passes: [(offset: Int, x: Int, y: Int, dx: Int, dy: Int, width: Int, height: Int, rowBytes: Int)]
    }

    private static func unfilteredRows(_ header: Header, compressed: [UInt8]) throws(PDFError) -> Rows {
        var layout: [(offset: Int, x: Int, y: Int, dx: Int, dy: Int, width: Int, height: Int, rowBytes: Int)] = []
        var expected = 0
        for pass in passes(interlaced: header.interlaced) {
            let width = (header.width - pass.x + pass.dx - 1) / pass.dx
            let height = (header.height - pass.y + pass.dy - 1) / pass.dy
            guard width > 0, height > 0 else { continue }
            let rowBytes = (width * header.bitsPerPixel + 7) / 8
            layout.append((expected, pass.x, pass.y, pass.dx, pass.dy, width, height, rowBytes))
            expected += height * (1 + rowBytes)
            guard expected <= SignatureImage.maxDecodedBytes else {
                throw PDFError.badImage("the PNG decodes to more than \(SignatureImage.maxDecodedBytes) bytes")
            }
        }
        var data: [UInt8]
        do {
            data = try Flate.inflate(compressed, limit: expected)
        } catch {
            throw PDFError.badImage("the PNG's image data is damaged")
        }
        guard data.count == expected else { throw PDFError.badImage("the PNG's image data has the wrong size") }
        let bpp = max(1, header.bitsPerPixel / 8)
        for pass in layout {
            for row in 0..<pass.height {
                let start = pass.offset + row * (1 + pass.rowBytes)
                let filter = data[start]
                let current = start + 1
                let previous = row == 0 ? nil : current - 1 - pass.rowBytes
                guard filter <= 4 else { throw PDFError.badImage("the PNG has an unknown row filter") }
                unfilter(&data, filter: filter, at: current, previous: previous, count: pass.rowBytes, bpp: bpp)
            }
        }
        return Rows(data: data, passes: layout)
    }

    private static func unfilter(
        _ data: inout [UInt8], filter: UInt8, at current: Int, previous: Int?, count: Int, bpp: Int
    ) {
        guard filter != 0 else { return }
        data.withUnsafeMutableBufferPointer { d in
            for j in 0..<count {
                let left = j >= bpp ? d[current + j - bpp] : 0
                let up = previous.map { d[$0 + j] } ?? 0
                let upLeft = j >= bpp ? previous.map { d[$0 + j - bpp] } ?? 0 : 0
                let predicted: UInt8
                switch filter {
                case 1: predicted = left
                case 2: predicted = up
                case 3: predicted = UInt8((Int(left) + Int(up)) / 2)
                default: predicted = Flate.paeth(left, up, upLeft)
                }
                d[current + j] = d[current + j] &+ predicted
            }
        }
    }

    /// A palette index past the palette's end is an error (ISO/IEC 15948 §11.2.3).
    private static func checkIndices(_ rows: Rows, _ header: Header, paletteCount: Int) throws(PDFError) {
        for pass in rows.passes {
            for row in 0..<pass.height {
                let start = pass.offset + row * (1 + pass.rowBytes) + 1
                for column in 0..<pass.width
                where sample(rows.data, start, column, 0, channels: 1, depth: header.bitDepth) >= paletteCount {
                    throw PDFError.badImage("the PNG uses a colour its palette does not have")
                }
            }
        }
    }

    /// Sample `channel` of pixel `column` of the row starting at `start`, at its own bit depth.
    static func sample(_ data: [UInt8], _ start: Int, _ column: Int, _ channel: Int, channels: Int, depth: Int) -> Int {
        switch depth {
        case 8: return Int(data[start + column * channels + channel])
        case 16:
            let at = start + 2 * (column * channels + channel)
            return Int(data[at]) << 8 | Int(data[at + 1])
        default:
            let bit = column * depth
            let shift = 8 - depth - bit % 8
            return Int(data[start + bit / 8] >> UInt8(shift)) & ((1 << depth) - 1)
        }
    }
}
