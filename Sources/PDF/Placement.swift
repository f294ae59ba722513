/// Where the signature widget goes, worked out from the request before anything is written.
enum Placement {
    /// A new merged field/widget on `page` with `rect` ([0 0 0 0] when invisible); `upright`
    /// when the appearance must be turned against the page's /Rotate.
    case newWidget(page: PDFPage, rect: [Double], upright: Bool = false)
    /// An existing empty signature field; `widget` is its (first) widget with `rect`.
    case existingField(PDFFormField, widget: PDFRef?, rect: [Double])

    static func resolve(
        _ visible: VisibleSignature?, document: PDFDocument, pages: [PDFPage], fields: PDFFormFields
    ) throws -> Placement {
        guard let first = pages.first else { throw PDFError.empty("the document has no pages") }
        switch visible {
        case nil:
            return .newWidget(page: first, rect: [0, 0, 0, 0])
        case .coordinates(let number, let x, let y, let width, let height)?:
            guard number >= 1, number <= pages.count else {
                throw PDFError.badVisibleSignature("page \(number) does not exist (1...\(pages.count))")
            }
            let page = pages[number - 1]
            // Coordinates are on the page as displayed; /Rotate pages are mapped to user space.
            _ = try rectangle(x, y, width, height)
            let size = page.displayedSize
            let tolerance = 0.01
            guard x >= -tolerance, y >= -tolerance, x <= maxExtent, y <= maxExtent,
                x + width <= size.width + tolerance, y + height <= size.height + tolerance
            else { throw PDFError.badVisibleSignature("the rectangle lies outside the page's MediaBox") }
            return .newWidget(
                page: page, rect: page.userSpaceRect(x: x, y: y, width: width, height: height), upright: true)
        case .placeholder(let word, let width, let height)?:
            _ = try rectangle(0, 0, width, height)
            let bytes = Array(word.utf8)
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw PDFError.placeholderNotFound("the placeholder must be a non-empty printable ASCII word")
            }
            let finder = PlaceholderFinder(document: document, word: bytes)
            for page in pages {
                switch try finder.search(page: page) {
                case .found(let x, let y):
                    return .newWidget(page: page, rect: try rectangle(x, y, width, height))
                case .unreliable(let why):
                    throw PDFError.placeholderNotFound("'\(word)' cannot be located reliably: \(why)")
                case .notFound:
                    continue
                }
            }
            throw PDFError.placeholderNotFound("'\(word)' does not occur in the text of any page")
        case .field(let name)?:
            return try existing(name, document: document, fields: fields)
        }
    }

    private static func existing(_ name: String, document: PDFDocument, fields: PDFFormFields) throws -> Placement {
        guard let field = fields.field(named: name) else {
            throw PDFError.fieldNotFound("no form field named '\(name)'")
        }
        guard field.fieldType == "Sig" else {
            throw PDFError.fieldNotFound("field '\(name)' is not a signature field")
        }
        guard try document.resolve(field.dict["V"]).isNull else {
            throw PDFError.fieldNotFound("signature field '\(name)' is already signed")
        }
        guard let widget = field.widgets.first else { return .existingField(field, widget: nil, rect: [0, 0, 0, 0]) }
        let widgetDict = try document.resolveDict(.ref(widget)) ?? PDFDict()
        let numbers = (try document.resolveArray(widgetDict["Rect"]) ?? []).compactMap(\.number)
        guard numbers.count == 4 else {
            throw PDFError.badVisibleSignature("signature field '\(name)' has no valid /Rect")
        }
        let rect = [
            min(numbers[0], numbers[2]), min(numbers[1], numbers[3]), max(numbers[0], numbers[2]),
            max(numbers[1], numbers[3]),
        ]
        return .existingField(field, widget: widget, rect: rect)
    }

    /// The largest page side PDF allows (ISO 32000-1 Annex C: 14,400 units); no signature is larger.
    static let maxExtent = 14_400.0

    /// Checks a rectangle from the request (or a computed placeholder position) before any use:
    /// finite, positive size up to `maxExtent`, position within ±1,000,000 points.
    private static func rectangle(_ x: Double, _ y: Double, _ width: Double, _ height: Double) throws -> [Double] {
        guard x.isFinite, y.isFinite, width.isFinite, height.isFinite, width > 0, height > 0,
            width <= maxExtent, height <= maxExtent, abs(x) < 1_000_000, abs(y) < 1_000_000
        else {
            throw PDFError.badVisibleSignature(
                "the signature rectangle must be finite, with a size in (0, \(Int(maxExtent))] points")
        }
        return [x, y, x + width, y + height]
    }
}
