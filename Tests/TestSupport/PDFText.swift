/// Text poppler finds in a PDF (`pdftotext`), appearance streams of widgets included.
public enum PDFText {
    /// The text of page `page` inside the rectangle (points from the page's lower-left corner, on
    /// a page `pageHeight` points high, unturned), with runs of white space made single spaces.
    public static func inside(
        _ path: String, page: Int = 1, x: Double, y: Double, width: Double, height: Double, pageHeight: Double
    ) throws -> String {
        let top = pageHeight - (y + height)
        let arguments = [
            "-f", String(page), "-l", String(page), "-r", "72", "-x", String(Int(x.rounded(.down))), "-y",
            String(Int(top.rounded(.down))), "-W", String(Int(width.rounded(.up)) + 1), "-H",
            String(Int(height.rounded(.up)) + 1), "-layout", path, "-",
        ]
        let text = try Shell.check("pdftotext", arguments).stdout
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
