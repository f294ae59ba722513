/// A page rendered in colour by poppler (`pdftoppm`, a binary PPM), to check what a visible
/// signature shows: its background, its image, and that nothing outside it changed.
public struct PageColors: Sendable {
    public struct RGB: Sendable, Equatable, CustomStringConvertible {
        public let red: Int
        public let green: Int
        public let blue: Int

        public init(_ red: Int, _ green: Int, _ blue: Int) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        /// Every component within `tolerance` of `other`'s.
        public func isClose(to other: RGB, tolerance: Int = 40) -> Bool {
            abs(red - other.red) <= tolerance && abs(green - other.green) <= tolerance
                && abs(blue - other.blue) <= tolerance
        }

        public var description: String { "(\(red), \(green), \(blue))" }
    }

    public let width: Int
    public let height: Int
    public let dpi: Int
    /// Row by row from the top, three bytes per pixel.
    public let pixels: [UInt8]

    /// Renders page `page` (1-based) of `pdfPath` as displayed.
    public static func render(_ pdfPath: String, page: Int, dpi: Int = 72, in ws: Workspace) throws -> PageColors {
        let stem = "colors-\(Int.random(in: 0..<1_000_000_000))"
        try Shell.check(
            "pdftoppm",
            ["-r", String(dpi), "-f", String(page), "-l", String(page), "-singlefile", pdfPath, ws.path(stem)])
        return try PageColors(ppm: try ws.read(stem + ".ppm"), dpi: dpi)
    }

    /// Parses a binary PPM (P6, maxval 255) as pdftoppm writes it.
    public init(ppm bytes: [UInt8], dpi: Int) throws {
        let (w, h, pixels) = try Netpbm.read(bytes, magic: "P6", channels: 3)
        width = w
        height = h
        self.dpi = dpi
        self.pixels = pixels
    }

    /// The pixel at `x`, `y` points from the lower-left corner of the page as displayed.
    public func color(x: Double, y: Double) -> RGB {
        let scale = Double(dpi) / 72
        let column = min(width - 1, max(0, Int(x * scale)))
        let row = min(height - 1, max(0, height - 1 - Int(y * scale)))
        let at = 3 * (row * width + column)
        return RGB(Int(pixels[at]), Int(pixels[at + 1]), Int(pixels[at + 2]))
    }

    /// Pixels that differ (any component by more than `threshold`) from `other`'s, outside the
    /// rectangle (points from the lower-left corner) grown by `margin` points on every side.
    public func differingPixels(
        from other: PageColors, outside x: Double, _ y: Double, _ w: Double, _ h: Double, margin: Double = 2,
        threshold: Int = 8
    ) -> Int {
        guard other.width == width, other.height == height else { return -1 }
        let scale = Double(dpi) / 72
        let left = Int(((x - margin) * scale).rounded(.down))
        let right = Int(((x + w + margin) * scale).rounded(.up))
        let top = height - Int(((y + h + margin) * scale).rounded(.up))
        let bottom = height - Int(((y - margin) * scale).rounded(.down))
        var count = 0
        for row in 0..<height {
            for column in 0..<width where !(column >= left && column < right && row >= top && row < bottom) {
                let at = 3 * (row * width + column)
                for c in 0..<3 where abs(Int(pixels[at + c]) - Int(other.pixels[at + c])) > threshold {
                    count += 1
                    break
                }
            }
        }
        return count
    }

    /// How many pixels inside the rectangle (points from the lower-left corner) satisfy `test`.
    public func count(in x: Double, _ y: Double, _ w: Double, _ h: Double, where test: (RGB) -> Bool) -> Int {
        let scale = Double(dpi) / 72
        var count = 0
        for row in max(
            0, height - Int(((y + h) * scale).rounded(.up)))..<min(height, height - Int((y * scale).rounded(.down)))
        {
            for column in max(0, Int((x * scale).rounded(.down)))..<min(width, Int(((x + w) * scale).rounded(.up))) {
                let at = 3 * (row * width + column)
                if test(RGB(Int(pixels[at]), Int(pixels[at + 1]), Int(pixels[at + 2]))) { count += 1 }
            }
        }
        return count
    }
}
