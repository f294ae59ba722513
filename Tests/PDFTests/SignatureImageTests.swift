import Common
import Foundation
import TestSupport
import Testing

@testable import PDF
@testable import Signing

/// Images in visible signatures: every PNG colour type, bit depth, interlacing and transparency
/// kind, and JPEGs (baseline, progressive, gray, CMYK), drawn as poppler renders them; damaged or
/// unsupported images refused with the field named, never a crash.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SignatureImageTests {
    struct Expected: Decodable {
        let file: String
        let left: Color
        let right: Color
    }

    /// `[r, g, b]`, or `"background"` where the image is transparent.
    enum Color: Decodable {
        case rgb(PageColors.RGB)
        case background

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let components = try? container.decode([Int].self), components.count == 3 {
                self = .rgb(PageColors.RGB(components[0], components[1], components[2]))
            } else {
                self = .background
            }
        }
    }

    /// Writes the test images (Tests/tools/signature_images.py) into `ws/images`.
    static func images(in ws: Workspace) throws -> [Expected] {
        try Shell.check(
            "python",
            [Shell.packageRoot.appendingPathComponent("Tests/tools/signature_images.py").path, ws.path("images")])
        return try JSONDecoder().decode([Expected].self, from: Data(try ws.read("images/manifest.json")))
    }

    static let background = PageColors.RGB(255, 255, 0)

    /// Each image alone in a 200 × 100 area on a yellow background, the way a client asks for it:
    /// the image scaled to fit (aspect kept, centred), its transparent half showing the background.
    @Test func everyImageKindIsDrawnWithItsColours() async throws {
        let ws = try Workspace()
        let identity = try TestIdentity(ws)
        let signer = DocumentSigner(backend: try LocalKeyBackend(keyFile: identity.key, certificateFile: identity.cert))
        let original = SamplePDF.page(showing: "Images")
        try ws.write("in.pdf", original)
        let before = try PageColors.render(ws.path("in.pdf"), page: 1, in: ws)
        for (index, image) in try Self.images(in: ws).enumerated() {
            let bytes = try ws.read("images/" + image.file)
            let parameters = SignatureParameters(
                signatureType: "PAdES",
                visibleSignature: VisibleSignatureInfo(
                    locationType: "COORDINATE", locationValue: "page=1,x=100,y=300", area: "width=200,height=100",
                    areaBackgroundColor: "#FFFF00", templateType: "ONE_OFF", oneOffTemplate: "",
                    imageType: image.file.hasSuffix(".png") ? "IMAGE_PNG" : "IMAGE_JPG",
                    imageValue: Data(bytes).base64EncodedString()))
            let signed = try await signer.sign(original, parameters: parameters, client: "alice")
            let name = "out-\(index).pdf"
            try ws.write(name, signed)
            let pdfsig = try PDFSig.check(ws.path(name))
            #expect(pdfsig.signatures == 1 && pdfsig.valid == 1, "\(image.file): \(pdfsig.output)")
            #expect(try await Shell.run("qpdf", ["--check", ws.path(name)]).status == 0, "\(image.file)")
            if index == 0 {
                let pyhanko = try PyHanko.validate(ws.path(name), trust: [identity.cert])
                #expect(pyhanko.isValid(signatures: 1), "\(pyhanko.output)")
            }
            // 40 × 20 pixels in the 192 × 92 inner box: 184 × 92 points from (108, 304).
            let page = try PageColors.render(ws.path(name), page: 1, in: ws)
            for (color, x) in [(image.left, 108.0 + 46), (image.right, 108.0 + 138)] {
                let expected: PageColors.RGB
                switch color {
                case .rgb(let rgb): expected = rgb
                case .background: expected = Self.background
                }
                let seen = page.color(x: x, y: 350)
                #expect(seen.isClose(to: expected), "\(image.file) at x=\(x): \(seen), expected \(expected)")
            }
            #expect(page.color(x: 104, y: 350).isClose(to: Self.background, tolerance: 8), "\(image.file): background")
            #expect(
                page.differingPixels(from: before, outside: 100, 300, 200, 100) == 0,
                "\(image.file): pixels changed outside the area")
        }
    }

    /// The reader's own bounds and refusals: each a PDF_BAD_VISIBLE_SIGNATURE, each readable.
    @Test func damagedAndUnsupportedImagesAreRefused() throws {
        let ws = try Workspace()
        _ = try Self.images(in: ws)
        let png = try ws.read("images/rgb8.png")
        let jpeg = try ws.read("images/jpeg-rgb.jpg")
        func patched(_ bytes: [UInt8], at offset: Int, _ values: [UInt8]) -> [UInt8] {
            var copy = bytes
            copy.replaceSubrange(offset..<(offset + values.count), with: values)
            return copy
        }
        /// The PNG with its IHDR changed (and a valid CRC for it).
        func ihdr(width: UInt32, height: UInt32, depth: UInt8 = 8, colorType: UInt8 = 2, interlace: UInt8 = 0)
            -> [UInt8]
        {
            let data = Self.be32(width) + Self.be32(height) + [depth, colorType, 0, 0, interlace]
            return Array(png.prefix(8)) + Self.chunk("IHDR", data) + Array(png.dropFirst(33))
        }
        let cases: [(String, [UInt8])] = [
            ("truncated PNG", Array(png.prefix(png.count - 20))),
            ("no IEND", Array(png.prefix(png.count - 12))),
            ("bad CRC", patched(png, at: 29, [0, 0, 0, 0])),
            ("huge width", ihdr(width: 1 << 31, height: 20)),
            ("too many pixels", ihdr(width: 10_000, height: 10_000)),
            ("16-bit palette", ihdr(width: 40, height: 20, depth: 16, colorType: 3)),
            ("colour type 5", ihdr(width: 40, height: 20, colorType: 5)),
            ("interlace method 2", ihdr(width: 40, height: 20, interlace: 2)),
            ("wrong data size", ihdr(width: 41, height: 20)),
            ("palette without PLTE", ihdr(width: 40, height: 20, colorType: 3)),
            ("truncated JPEG", Array(jpeg.prefix(100))),
            ("12-bit JPEG", patched(jpeg, at: try Self.frameHeader(jpeg) + 4, [12])),
            ("arithmetic JPEG", patched(jpeg, at: try Self.frameHeader(jpeg) + 1, [0xC9])),
            ("GIF", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20)),
            ("empty", []),
            ("too large", Array(png.prefix(8)) + [UInt8](repeating: 0, count: SignatureImage.maxBytes)),
        ]
        for (name, bytes) in cases {
            #expect(throws: PDFError.self, "\(name)") { try SignatureImage(bytes: bytes) }
            do {
                _ = try SignatureImage(bytes: bytes)
            } catch {
                #expect(error.code == "PDF_BAD_VISIBLE_SIGNATURE", "\(name): \(error)")
            }
            let info = VisibleSignatureInfo(
                locationType: "COORDINATE", locationValue: "page=1,x=1,y=1", imageType: "IMAGE_PNG",
                imageValue: Data(bytes).base64EncodedString())
            do {
                _ = try PAdESSigner.visibleSignature(info)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.code == "INVALID_VISIBLE_SIGNATURE" && error.message.hasPrefix("imageValue"), "\(error)")
            }
        }
        // Image data with the right CRCs but wrong content: a palette index past the palette,
        // an unknown row filter.
        let header = Self.chunk("IHDR", Self.be32(1) + Self.be32(1) + [8, 3, 0, 0, 0])
        let palette = Self.chunk("PLTE", [255, 0, 0])
        let end = Self.chunk("IEND", [])
        for row: [UInt8] in [[0, 5], [7, 0]] {
            let bytes = Array(png.prefix(8)) + header + palette + Self.chunk("IDAT", Zlib.stored(row)) + end
            #expect(throws: PDFError.self, "\(row)") { try SignatureImage(bytes: bytes) }
        }
        let good = Array(png.prefix(8)) + header + palette + Self.chunk("IDAT", Zlib.stored([0, 0])) + end
        let image = try SignatureImage(bytes: good)
        #expect(image.width == 1 && image.height == 1 && image.format == .png)
        #expect(try SignatureImage(bytes: jpeg).format == .jpeg)
    }

    static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    /// A PNG chunk: length, type, data, CRC.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(Zlib.crc32(body))
    }

    /// The offset of the JPEG's SOF0 marker (FF C0).
    static func frameHeader(_ jpeg: [UInt8]) throws -> Int {
        try #require(jpeg.indices.dropLast().first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    }
}
