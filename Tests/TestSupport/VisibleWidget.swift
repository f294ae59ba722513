import Foundation
import Testing

/// Proves that a signature is visible, not merely valid: its widget has the expected /Rect, sits
/// on the expected page (/P and that page's /Annots), has a non-empty normal appearance whose
/// /BBox (through its /Matrix) fills the /Rect, reads upright on a turned page, and changes the
/// pixels poppler renders inside the rectangle. Read with qpdf and poppler, not our parser.
public enum VisibleWidget {
    /// The signature `field` of `signed` on page `page` (1-based). `rect`: the expected widget
    /// /Rect in user space (nil: not compared). `displayed`: where it appears on the page as
    /// displayed, in points from the lower-left corner (nil: the /Rect, for unturned pages
    /// whose MediaBox starts at 0 0). Returns the widget's /Rect.
    @discardableResult
    public static func expect(
        original: String, signed: String, field: String = "Signature1", page: Int, rect expected: [Double]?,
        displayed: (x: Double, y: Double, width: Double, height: Double)? = nil, ws: Workspace,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [Double] {
        let json = try QPDFJSON(path: signed)
        let widgetRef = try #require(
            json.signatureFieldRefs()[field], "no field \(field)", sourceLocation: sourceLocation)
        let widget = try #require(json.resolve(widgetRef) as? [String: Any], sourceLocation: sourceLocation)
        let rect = QPDFJSON.numbers(widget["/Rect"])
        try #require(rect.count == 4, "widget /Rect: \(rect)", sourceLocation: sourceLocation)
        if let expected {
            let close = zip(rect, expected).allSatisfy { abs($0 - $1) < 0.01 }
            #expect(close, "widget /Rect \(rect), expected \(expected)", sourceLocation: sourceLocation)
        }
        let width = rect[2] - rect[0]
        let height = rect[3] - rect[1]
        #expect(width > 0 && height > 0, "an invisible widget: \(rect)", sourceLocation: sourceLocation)

        // Its page.
        let pages = try QPDFJSON.pageRefs(path: signed)
        try #require(page >= 1 && page <= pages.count, sourceLocation: sourceLocation)
        let pageRef = pages[page - 1]
        #expect(
            widget["/P"] as? String == pageRef, "widget /P \(widget["/P"] ?? "none")", sourceLocation: sourceLocation)
        let pageDict = json.resolve(pageRef) as? [String: Any] ?? [:]
        let annots = json.resolve(pageDict["/Annots"]) as? [Any] ?? []
        #expect(
            annots.contains { $0 as? String == widgetRef }, "widget \(widgetRef) not in /Annots of \(pageRef)",
            sourceLocation: sourceLocation)

        // Its appearance.
        let ap = json.resolve(widget["/AP"]) as? [String: Any]
        let normalRef = try #require(ap?["/N"] as? String, "no /AP /N", sourceLocation: sourceLocation)
        #expect(json.isStream(normalRef), "/AP /N is not a stream", sourceLocation: sourceLocation)
        let form = json.resolve(normalRef) as? [String: Any] ?? [:]
        #expect((form["/Length"] as? NSNumber)?.intValue ?? 0 > 0, "empty appearance", sourceLocation: sourceLocation)
        let bbox = QPDFJSON.numbers(form["/BBox"])
        try #require(bbox.count == 4, "appearance /BBox: \(bbox)", sourceLocation: sourceLocation)
        let matrix = QPDFJSON.numbers(form["/Matrix"])
        let m = matrix.count == 6 ? matrix : [1, 0, 0, 1, 0, 0]
        let corners = [(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[0], bbox[3]), (bbox[2], bbox[3])].map {
            (m[0] * $0.0 + m[2] * $0.1, m[1] * $0.0 + m[3] * $0.1)
        }
        let formWidth = (corners.map(\.0).max() ?? 0) - (corners.map(\.0).min() ?? 0)
        let formHeight = (corners.map(\.1).max() ?? 0) - (corners.map(\.1).min() ?? 0)
        #expect(
            abs(formWidth - width) < 0.01 && abs(formHeight - height) < 0.01,
            "appearance \(bbox) × \(m) does not fill the /Rect \(rect)", sourceLocation: sourceLocation)

        // Upright on a turned page: the form turns counter-clockwise by the page's /Rotate.
        let rotation = ((rotate(of: pageDict, json) % 360) + 360) % 360
        if rotation != 0 {
            let angle = Double(rotation) * .pi / 180
            let upright = [cos(angle), sin(angle), -sin(angle), cos(angle)].map { $0.rounded() }
            #expect(
                Array(m.prefix(4)) == upright, "/Matrix \(m) does not undo /Rotate \(rotation)",
                sourceLocation: sourceLocation)
            let mk = json.resolve(widget["/MK"]) as? [String: Any]
            #expect((mk?["/R"] as? NSNumber)?.intValue == rotation, "/MK /R", sourceLocation: sourceLocation)
        }

        // Drawn: poppler's rendering changes inside the rectangle.
        let before = try PageImage.render(original, page: page, in: ws)
        let after = try PageImage.render(signed, page: page, in: ws)
        let region = displayed ?? (rect[0], rect[1], width, height)
        let changed = after.differingPixels(
            from: before, x: region.x, y: region.y, width: region.width, height: region.height)
        #expect(changed > 0, "no pixel changed inside \(region)", sourceLocation: sourceLocation)
        return rect
    }

    /// /Rotate of a page, inherited through /Parent.
    private static func rotate(of page: [String: Any], _ json: QPDFJSON) -> Int {
        var node: [String: Any]? = page
        for _ in 0..<64 {
            guard let current = node else { return 0 }
            if let value = (current["/Rotate"] as? NSNumber)?.intValue { return value }
            node = json.resolve(current["/Parent"]) as? [String: Any]
        }
        return 0
    }
}
