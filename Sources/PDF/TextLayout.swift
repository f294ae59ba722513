/// Text broken into lines that fit a width, at a given size or at the largest size (up to 12
/// points) at which all lines fit the height.
struct TextLayout {
    let lines: [[UInt8]]
    let size: Double

    init(paragraphs: [[UInt8]], font: StandardFont, size: Double?, width: Double, height: Double) {
        if let size {
            self.size = size
            lines = Self.wrap(paragraphs, font: font, size: size, width: width)
            return
        }
        var chosen = 1.0
        for step in stride(from: 24, through: 2, by: -1) {
            let candidate = Double(step) / 2
            if Double(Self.wrap(paragraphs, font: font, size: candidate, width: width).count) * candidate * 1.2
                <= height
            {
                chosen = candidate
                break
            }
        }
        self.size = chosen
        lines = Self.wrap(paragraphs, font: font, size: chosen, width: width)
    }

    /// Words go on a line while it fits; a word longer than a line is broken between characters.
    static func wrap(_ paragraphs: [[UInt8]], font: StandardFont, size: Double, width: Double) -> [[UInt8]] {
        let limit = width * 1000 / size
        var lines: [[UInt8]] = []
        for paragraph in paragraphs {
            var line: [UInt8] = []
            var lineWidth = 0.0
            for word in paragraph.split(separator: 0x20, omittingEmptySubsequences: true) {
                let wordWidth = word.reduce(0) { $0 + font.width($1) }
                let space = line.isEmpty ? 0 : font.width(0x20)
                if !line.isEmpty, lineWidth + space + wordWidth > limit {
                    lines.append(line)
                    line = []
                    lineWidth = 0
                }
                if line.isEmpty && wordWidth > limit {
                    for code in word {
                        let w = font.width(code)
                        if !line.isEmpty, lineWidth + w > limit {
                            lines.append(line)
                            line = []
                            lineWidth = 0
                        }
                        line.append(code)
                        lineWidth += w
                    }
                    continue
                }
                if !line.isEmpty {
                    line.append(0x20)
                    lineWidth += font.width(0x20)
                }
                line += word
                lineWidth += wordWidth
            }
            lines.append(line)
        }
        return lines
    }
}
