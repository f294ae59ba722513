/// A page rendered by poppler (`pdftoppm -gray`, a binary PGM), to prove that something is
/// actually drawn where a visible signature should be.
public struct PageImage: Sendable {
    public let width: Int
    public let height: Int
    /// Resolution the page was rendered at.
    public let dpi: Int
    /// Row by row from the top, one byte per pixel (0 black, 255 white).
    public let pixels: [UInt8]

    /// Renders page `page` (1-based) of `pdfPath` as displayed (its /Rotate applied).
    public static func render(_ pdfPath: String, page: Int, dpi: Int = 36, in ws: Workspace) throws -> PageImage {
        let stem = "page-\(Int.random(in: 0..<1_000_000_000))"
        try Shell.check(
            "pdftoppm",
            ["-gray", "-r", String(dpi), "-f", String(page), "-l", String(page), "-singlefile", pdfPath, ws.path(stem)])
        return try PageImage(pgm: try ws.read(stem + ".pgm"), dpi: dpi)
    }

    /// Parses a binary PGM (P5, maxval 255) as pdftoppm writes it.
    public init(pgm bytes: [UInt8], dpi: Int) throws {
        let (w, h, pixels) = try Netpbm.read(bytes, magic: "P5", channels: 1)
        width = w
        height = h
        self.dpi = dpi
        self.pixels = pixels
    }

    /// Whether the pixel at column `x`, row `y` (from the top) is darker than mid-gray.
    public func isDark(x: Int, y: Int) -> Bool {
        let offset = y * width + x
        return offset >= 0 && offset < pixels.count && pixels[offset] < 128
    }

    /// Pixels inside a rectangle given in points from the lower-left corner of the page as
    /// displayed, whose gray value differs by more than `threshold` from `other` (same size).
    public func differingPixels(
        from other: PageImage, x: Double, y: Double, width w: Double, height h: Double, threshold: UInt8 = 16
    ) -> Int {
        guard other.width == width, other.height == height else { return -1 }
        let scale = Double(dpi) / 72
        let columns = max(0, Int((x * scale).rounded(.down)))..<min(width, Int(((x + w) * scale).rounded(.up)))
        let top = max(0, height - Int(((y + h) * scale).rounded(.up)))
        let bottom = min(height, height - Int((y * scale).rounded(.down)))
        guard !columns.isEmpty, top < bottom else { return 0 }
        var count = 0
        for row in top..<bottom {
            for column in columns {
                let a = pixels[row * width + column]
                let b = other.pixels[row * width + column]
                if (a > b ? a - b : b - a) > threshold { count += 1 }
            }
        }
        return count
    }
}
