import Common
import Foundation
import PDF

/// `visibleSignatureInfo` (Sign'Stash's model) read into a plan. Every value is checked before
/// use; the error's message starts with the field (`locationValue: …`, `area: …`), which the
/// gateway prefixes with the field's path.
enum VisibleSignatureParser {
    /// The largest page number and the largest coordinate or size (in points) a request may name:
    /// PDF user space ends at 14,400 units (ISO 32000-1, annex C).
    static let maxPage = 1_000_000
    static let maxPoints = 14_400.0
    /// The size used when `area` is absent (or names only one side).
    static let defaultWidth = 200.0
    static let defaultHeight = 50.0
    /// The longest field name or placeholder word, and the longest `area`, `font`, colour.
    static let maxNameLength = 255
    static let maxOptionLength = 256

    static func invalid(_ message: String) -> SigningError {
        SigningError(code: "INVALID_VISIBLE_SIGNATURE", message: message)
    }

    static func plan(_ info: VisibleSignatureInfo, serviceTemplate: String?) throws(SigningError)
        -> VisibleSignaturePlan
    {
        let (width, height) = try area(info.area)
        let placement = try placement(info, width: width, height: height)
        var appearance = SignatureAppearance()
        if let background = present(info.areaBackgroundColor) {
            guard background.count <= maxOptionLength else { throw invalid("areaBackgroundColor: too long") }
            if background.lowercased() != "transparent" {
                guard let color = RGBColor(hex: background) else {
                    throw invalid("areaBackgroundColor: must be a hex triplet (#RRGGBB) or transparent")
                }
                appearance.background = color
            }
        }
        try font(info.font, into: &appearance)
        appearance.image = try image(type: info.imageType, value: info.imageValue)
        let template = try template(info, serviceTemplate: serviceTemplate, hasImage: appearance.image != nil)
        return VisibleSignaturePlan(placement: placement, appearance: appearance, template: template)
    }

    /// A string with something in it; empty and blank strings count as absent.
    static func present(_ value: String?) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `key=value,key=value` (keys in any case, spaces around items ignored); each key once.
    /// Keys other than `known` are ignored (a client may send options Signet does not draw).
    static func options(_ text: String, field: String, known: Set<String>) throws(SigningError) -> [String: String] {
        guard text.count <= maxOptionLength else {
            throw invalid("\(field): longer than \(maxOptionLength) characters")
        }
        var values: [String: String] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw invalid("\(field): '\(item.trimmingCharacters(in: .whitespaces))' is not key=value")
            }
            let key = parts[0].lowercased()
            guard known.contains(key) else { continue }
            guard values[key] == nil else { throw invalid("\(field): \(key) is given twice") }
            values[key] = parts[1]
        }
        return values
    }

    /// A number of points in (0, 14,400].
    static func size(_ text: String?, field: String, default value: Double) throws(SigningError) -> Double {
        guard let text else { return value }
        guard let number = Double(text), number > 0, number <= maxPoints else {
            throw invalid("\(field) must be a number of points above 0 and at most \(Int(maxPoints))")
        }
        return number
    }

    static func area(_ text: String?) throws(SigningError) -> (Double, Double) {
        guard let text = present(text) else { return (defaultWidth, defaultHeight) }
        let values = try options(text, field: "area", known: ["width", "height"])
        guard !values.isEmpty else { throw invalid("area: must be \"width=W,height=H\" (points)") }
        return (
            try size(values["width"], field: "area: width", default: defaultWidth),
            try size(values["height"], field: "area: height", default: defaultHeight)
        )
    }

    static func placement(_ info: VisibleSignatureInfo, width: Double, height: Double) throws(SigningError)
        -> VisibleSignature
    {
        guard let type = present(info.locationType)?.uppercased() else {
            throw invalid("locationType: required (SIGN_FIELD, COORDINATE or PLACEHOLDER)")
        }
        guard ["SIGN_FIELD", "COORDINATE", "PLACEHOLDER"].contains(type) else {
            throw invalid("locationType: must be SIGN_FIELD, COORDINATE or PLACEHOLDER")
        }
        guard let value = present(info.locationValue) else {
            throw invalid("locationValue: required for \(type)")
        }
        switch type {
        case "COORDINATE":
            let values = try options(value, field: "locationValue", known: ["page", "x", "y"])
            guard let pageText = values["page"], let xText = values["x"], let yText = values["y"] else {
                throw invalid("locationValue: must be \"page=N,x=X,y=Y\"")
            }
            guard let page = Double(pageText), page.rounded() == page, page >= 1, page <= Double(maxPage) else {
                throw invalid("locationValue: page must be a whole number from 1 to \(maxPage)")
            }
            guard let x = Double(xText), let y = Double(yText), (0...maxPoints).contains(x), (0...maxPoints).contains(y)
            else {
                throw invalid("locationValue: x and y must be numbers of points from 0 to \(Int(maxPoints))")
            }
            return .coordinates(page: Int(page), x: x, y: y, width: width, height: height)
        case "SIGN_FIELD":
            guard value.count <= maxNameLength,
                !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw invalid(
                    "locationValue: a field name of at most \(maxNameLength) characters, without control characters")
            }
            return .field(name: value)
        default:
            guard value.count <= maxNameLength, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
            else {
                throw invalid(
                    "locationValue: the placeholder must be one word of at most \(maxNameLength) printable ASCII characters"
                )
            }
            return .placeholder(word: value, width: width, height: height)
        }
    }

    static func font(_ text: String?, into appearance: inout SignatureAppearance) throws(SigningError) {
        guard let text = present(text) else { return }
        let values = try options(text, field: "font", known: ["color", "size", "name"])
        if let color = values["color"] {
            guard let rgb = RGBColor(hex: color) else { throw invalid("font: color must be a hex triplet (#RRGGBB)") }
            appearance.textColor = rgb
        }
        if let size = values["size"] {
            let range = SignatureAppearance.fontSizes
            guard let points = Double(size), range.contains(points) else {
                throw invalid(
                    "font: size must be a number of points from \(Int(range.lowerBound)) to \(Int(range.upperBound))")
            }
            appearance.fontSize = points
        }
        if let name = values["name"] {
            guard !name.isEmpty else { throw invalid("font: name is empty") }
            appearance.font = StandardFont(clientName: name)
        }
    }

    static let imageTypes = ["IMAGE_PNG", "IMAGE_JPG"]

    /// The image, decoded and checked: a PNG or a JPEG whatever `imageType` says (the bytes tell).
    static func image(type: String?, value: String?) throws(SigningError) -> SignatureImage? {
        let type = present(type)?.uppercased()
        let value = present(value)
        guard type != nil || value != nil else { return nil }
        guard let type, imageTypes.contains(type) else {
            throw invalid("imageType: must be IMAGE_PNG or IMAGE_JPG when imageValue is given")
        }
        guard let value else { throw invalid("imageValue: required with imageType") }
        let limit = SignatureImage.maxBytes
        guard value.utf8.count <= (limit / 3 + 1) * 4 * 2 else {
            throw invalid("imageValue: the image is larger than \(limit) bytes")
        }
        // Line-wrapped (MIME) base64 is base64; missing padding is restored.
        var compact = String(value.unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) })
        if compact.utf8.count % 4 != 0 { compact += String(repeating: "=", count: 4 - compact.utf8.count % 4) }
        guard let data = Data(base64Encoded: compact) else { throw invalid("imageValue: not base64") }
        do {
            return try SignatureImage(bytes: [UInt8](data))
        } catch {
            throw invalid("imageValue: \(error.message)")
        }
    }

    /// The longest template, in characters.
    static let maxTemplateLength = 2000
    static let defaultServiceTemplate = "Digitally signed by $certificate.getCommonName()\nDate: $date"

    static func template(_ info: VisibleSignatureInfo, serviceTemplate: String?, hasImage: Bool) throws(SigningError)
        -> SignatureTemplate?
    {
        if let oneOff = info.oneOffTemplate { try checkTemplate(oneOff, field: "oneOffTemplate") }
        guard let type = present(info.templateType)?.uppercased() else { return nil }
        switch type {
        case "ONE_OFF":
            guard let oneOff = info.oneOffTemplate, hasImage || present(oneOff) != nil else {
                throw invalid("oneOffTemplate: required with templateType ONE_OFF (empty only with an image)")
            }
            return SignatureTemplate(oneOff)
        case "SERVICE_CUSTOMIZATION":
            let text = serviceTemplate ?? defaultServiceTemplate
            try checkTemplate(text, field: "templateType: the client service's visibleSignatureTemplate")
            return SignatureTemplate(text)
        default:
            throw invalid("templateType: must be ONE_OFF or SERVICE_CUSTOMIZATION")
        }
    }

    /// At most `maxTemplateLength` characters; no control characters but line ends and tabs.
    static func checkTemplate(_ text: String, field: String) throws(SigningError) {
        guard text.unicodeScalars.count <= maxTemplateLength else {
            throw invalid("\(field): longer than \(maxTemplateLength) characters")
        }
        let allowed: Set<UInt32> = [0x09, 0x0A, 0x0D]
        guard
            !text.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control && !allowed.contains($0.value)
            })
        else { throw invalid("\(field): contains control characters") }
    }
}
