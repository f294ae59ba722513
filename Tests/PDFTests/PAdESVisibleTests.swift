import Common
import Foundation
import TestSupport
import Testing

@testable import PDF
@testable import Signing

/// Requests shaped exactly like Sign'Stash's `visibleSignatureInfo` table (string `area` and
/// `font`, each `locationType`, `templateType` both ways, PNG and JPEG images), signed by
/// Signet's PAdES signer and checked with tools nobody here wrote: qpdf, pdfsig and pyHanko
/// validate; poppler shows the signature where it was asked (the widget, pixels inside the area,
/// none outside), in the colours asked, with the text asked (`pdftotext`).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PAdESVisibleTests {
    struct Case: CustomStringConvertible {
        var description: String
        var producer: Producer
        var info: VisibleSignatureInfo
        var serviceTemplate: String? = nil
        var field = "Signature1"
        /// The widget's /Rect (nil: a placeholder's, found by the signer).
        var rect: [Double]?
        /// Size of the area when `rect` is not known in advance.
        var size: (width: Double, height: Double)? = nil
        /// Phrases the area's text holds, white space made single spaces.
        var text: [String]
        /// Colours at points relative to the area's lower-left corner.
        var colors: [(x: Double, y: Double, color: PageColors.RGB)] = []
        /// A colour some text pixels have (the font colour asked for).
        var textColor: PageColors.RGB? = nil
    }

    static let signer = "Signet Test Signer"
    static let red = PageColors.RGB(255, 0, 0)
    static let blue = PageColors.RGB(0, 0, 255)
    static let lightBlue = PageColors.RGB(0xCC, 0xE5, 0xFF)

    static func cases(images: [String: String]) -> [Case] {
        [
            Case(
                description: "COORDINATE, ONE_OFF template, PNG with alpha, background, navy text",
                producer: .ghostscript,
                info: VisibleSignatureInfo(
                    locationType: "COORDINATE", locationValue: "page=1,x=70,y=100", area: "width=400,height=80",
                    areaBackgroundColor: "#CCE5FF", font: "color=#000080,size=11", templateType: "ONE_OFF",
                    oneOffTemplate:
                        "Digitally signed by $certificate.getCommonName().\nOrganization: $certificate.getOrganization()",
                    imageType: "IMAGE_PNG", imageValue: images["rgba8.png"]),
                rect: [70, 100, 470, 180],
                text: ["Digitally signed by \(signer).", "Organization: Signet tests"],
                // The 40 × 20 image: 144 × 72 points at (4, 4); its right half is transparent.
                colors: [(40, 40, red), (112, 40, lightBlue), (392, 6, lightBlue)],
                textColor: PageColors.RGB(0, 0, 128)
            ),
            Case(
                description: "SIGN_FIELD, SERVICE_CUSTOMIZATION with the client's template, JPEG, Times",
                producer: .pyhankoIncremental,
                info: VisibleSignatureInfo(
                    locationType: "SIGN_FIELD", locationValue: "Approval", font: "color=#000000,size=9,name=times",
                    templateType: "SERVICE_CUSTOMIZATION", imageType: "IMAGE_JPG", imageValue: images["jpeg-rgb.jpg"]),
                serviceTemplate: "Approved by $certificate.getCommonName() (CA: $certificate.getIssuerCommonName())",
                field: "Approval", rect: [300, 100, 500, 160],
                text: ["Approved by \(signer) (CA: \(signer))"],
                // 96 × 48 points at (4, 6).
                colors: [(28, 30, red), (76, 30, blue)]
            ),
            Case(
                description: "PLACEHOLDER, SERVICE_CUSTOMIZATION without a client template, font name arial",
                producer: .reportlab,
                info: VisibleSignatureInfo(
                    locationType: "PLACEHOLDER", locationValue: "SIGNHERE", area: "width=180,height=60",
                    font: "color=#000000,size=11,name=arial", templateType: "SERVICE_CUSTOMIZATION"),
                rect: nil, size: (180, 60),
                text: ["Digitally signed by \(signer)", "Date: 20"]
            ),
            Case(
                description: "COORDINATE without area or template: the default area and text",
                producer: .ghostscript,
                info: VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=72,y=100"),
                rect: [72, 100, 272, 150],
                text: ["Signed by \(signer)", "Date: 20"]
            ),
        ]
    }

    @Test func signStashRequestsAreDrawnWhereAndAsAsked() async throws {
        let imageWS = try Workspace()
        _ = try SignatureImageTests.images(in: imageWS)
        var images: [String: String] = [:]
        for name in ["rgba8.png", "jpeg-rgb.jpg"] {
            images[name] = Data(try imageWS.read("images/" + name)).base64EncodedString()
        }
        for visible in Self.cases(images: images) {
            let ws = try Workspace()
            let original = try visible.producer.make(in: ws)
            let signed = try await PAdESSignerTests.signer(ws).sign(
                original,
                parameters: .init(
                    signatureType: "PAdES", visibleSignature: visible.info,
                    visibleSignatureTemplate: visible.serviceTemplate),
                client: "alice")
            try ws.write("out.pdf", signed)
            try ws.write("in.pdf", original)
            try Verifier(ws).expectValid(original: original, signed: signed)
            PAdESSignerTests.expectBaseline(try PAdESSignerTests.attributes(ws.path("out.pdf")))
            let rect = try VisibleWidget.expect(
                original: ws.path("in.pdf"), signed: ws.path("out.pdf"), field: visible.field, page: 1,
                rect: visible.rect, ws: ws)
            let (x, y, width, height) = (rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1])
            if let size = visible.size {
                #expect(abs(width - size.width) < 0.01 && abs(height - size.height) < 0.01, "\(visible): \(rect)")
            }

            let before = try PageColors.render(ws.path("in.pdf"), page: 1, in: ws)
            let after = try PageColors.render(ws.path("out.pdf"), page: 1, in: ws)
            #expect(
                after.differingPixels(from: before, outside: x, y, width, height) == 0,
                "\(visible): pixels changed outside the area")
            for (dx, dy, color) in visible.colors {
                let seen = after.color(x: x + dx, y: y + dy)
                #expect(seen.isClose(to: color), "\(visible) at (\(dx), \(dy)): \(seen), expected \(color)")
            }
            if let textColor = visible.textColor {
                let inked = after.count(in: x, y, width, height) { $0.isClose(to: textColor, tolerance: 30) }
                #expect(inked > 20, "\(visible): \(inked) pixels of the text colour \(textColor)")
            }
            let text = try PDFText.inside(
                ws.path("out.pdf"), x: x, y: y, width: width, height: height, pageHeight: Double(after.height))
            for phrase in visible.text {
                #expect(text.contains(phrase), "\(visible): '\(phrase)' not in '\(text)'")
            }
        }
    }

    /// A placeholder that is not in the document fails that document with its own code.
    @Test func anAbsentPlaceholderFailsWithItsCode() async throws {
        let ws = try Workspace()
        let original = try Producer.reportlab.make(in: ws)
        do {
            _ = try await PAdESSignerTests.signer(ws).sign(
                original,
                parameters: .init(
                    signatureType: "PAdES",
                    visibleSignature: VisibleSignatureInfo(locationType: "PLACEHOLDER", locationValue: "ABSENT")),
                client: "alice")
            Issue.record("signed without its placeholder")
        } catch let error as SigningError {
            #expect(error.code == "PDF_PLACEHOLDER_NOT_FOUND", "\(error)")
        }
    }
}
