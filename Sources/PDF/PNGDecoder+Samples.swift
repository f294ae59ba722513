extension PNGDecoder {
    /// 8-bit colour samples (gray, RGB or palette indices) and 8-bit alpha, pixel by pixel.
    struct Samples {
        let header: Header
        let paletteCount: Int
        let key: TransparencyKey?
        var color: [UInt8]
        var alpha: [UInt8]

        init(header: Header, paletteCount: Int, key: TransparencyKey?) {
            self.header = header
            self.paletteCount = paletteCount
            self.key = key
            let pixels = header.width * header.height
            color = [UInt8](repeating: 0, count: pixels * (header.colorType == 2 || header.colorType == 6 ? 3 : 1))
            alpha = [UInt8](repeating: 255, count: pixels)
        }

        /// A sample at its bit depth, scaled to 8 bits (palette indices are kept).
        func eight(_ value: Int) -> UInt8 {
            switch header.bitDepth {
            case 16: return UInt8(value >> 8)
            case 8: return UInt8(value)
            default: return header.colorType == 3 ? UInt8(value) : UInt8(value * 255 / ((1 << header.bitDepth) - 1))
            }
        }

        mutating func read(_ rows: Rows) throws(PDFError) {
            let channels = header.channels
            let depth = header.bitDepth
            let colorChannels = header.colorType == 2 || header.colorType == 6 ? 3 : 1
            for pass in rows.passes {
                for row in 0..<pass.height {
                    let start = pass.offset + row * (1 + pass.rowBytes) + 1
                    let y = pass.y + row * pass.dy
                    for column in 0..<pass.width {
                        let pixel = y * header.width + pass.x + column * pass.dx
                        var values = (0, 0, 0)
                        for channel in 0..<colorChannels {
                            let value = sample(rows.data, start, column, channel, channels: channels, depth: depth)
                            color[pixel * colorChannels + channel] = eight(value)
                            switch channel {
                            case 0: values.0 = value
                            case 1: values.1 = value
                            default: values.2 = value
                            }
                        }
                        switch (header.colorType, key) {
                        case (4, _), (6, _):
                            alpha[pixel] = eight(
                                sample(rows.data, start, column, channels - 1, channels: channels, depth: depth))
                        case (0, .gray(let gray)?) where values.0 == gray:
                            alpha[pixel] = 0
                        case (2, .rgb(let r, let g, let b)?) where values == (r, g, b):
                            alpha[pixel] = 0
                        case (3, let key):
                            guard values.0 < paletteCount else {
                                throw PDFError.badImage("the PNG uses a colour its palette does not have")
                            }
                            if case .palette(let table)? = key, values.0 < table.count {
                                alpha[pixel] = table[values.0]
                            }
                        default: break
                        }
                    }
                }
            }
        }
    }
}
