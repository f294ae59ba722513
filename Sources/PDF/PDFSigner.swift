import Foundation

/// Prepares a PDF for a PAdES signature: parses the document, appends an incremental update with
/// the signature field, widget, dictionary and (for visible signatures) appearance, and returns the
/// bytes with an empty /Contents hole and the final /ByteRange.
public enum PDFSigner {
    /// Upper bound on the /Contents hole (bytes of DER), far above any real CMS.
    public static let maxContentsCapacity = 1 << 20

    /// `limits` bound the work a hostile document can cause (`PDF_TOO_COMPLEX` beyond them).
    public static func prepare(
        _ pdf: [UInt8], _ request: PDFSignatureRequest, limits: PDFLimits = PDFLimits()
    ) throws(PDFError) -> PreparedPDF {
        do {
            return try prepareUntyped(pdf, request, limits: limits)
        } catch let error as PDFError {
            throw error
        } catch {
            throw PDFError.malformed("unexpected error: \(error)")
        }
    }

    private static func prepareUntyped(
        _ pdf: [UInt8], _ request: PDFSignatureRequest, limits: PDFLimits
    ) throws -> PreparedPDF {
        guard (1...maxContentsCapacity).contains(request.contentsCapacity) else {
            throw PDFError(code: "PDF_BAD_REQUEST", message: "contentsCapacity must be 1...\(maxContentsCapacity)")
        }
        let document = try PDFDocument(bytes: pdf, limits: limits)
        guard let rootRef = document.trailer["Root"]?.ref, let catalog = try document.resolveDict(.ref(rootRef))
        else { throw PDFError.malformed("the catalog is not a dictionary") }
        try refuseLockedDocument(document, catalog: catalog)
        let pages = try PDFPageTree(document: document, catalog: catalog).pages
        guard !pages.isEmpty else { throw PDFError.empty("the document has no pages") }
        let acroForm = try document.resolveDict(catalog["AcroForm"])
        let fields = try PDFFormFields(document: document, acroForm: acroForm)
        if request.visible != nil { try request.appearance.check() }
        let placement = try Placement.resolve(
            request.visible, document: document, pages: pages, fields: fields)

        var writer = IncrementalWriter(document: document)
        let sigRef = writer.allocate()
        writer.set(sigRef, .dict(signatureDictionary(request)))
        var newField: PDFRef?
        switch placement {
        case .newWidget(let page, let rect, let upright):
            let fieldRef = writer.allocate()
            var widget = PDFDict([
                ("Type", .name("Annot")), ("Subtype", .name("Widget")), ("FT", .name("Sig")),
                ("F", .int(132)), ("Rect", .array(rect.map { .real($0) })), ("P", .ref(page.ref)),
                ("V", .ref(sigRef)), ("T", .string(Array(fields.uniqueSignatureName().utf8))),
            ])
            let rotation = upright ? page.rotation : 0
            if let ap = appearance(rect: rect, rotation: rotation, request: request, writer: &writer) {
                widget["AP"] = ap
            }
            if rotation != 0 { widget["MK"] = .dict(PDFDict([("R", .int(rotation))])) }
            writer.set(fieldRef, .dict(widget))
            try FormUpdate.addAnnotation(fieldRef, to: page, document: document, writer: &writer)
            newField = fieldRef
        case .existingField(let field, let widgetRef, let rect):
            var fieldDict = field.dict
            fieldDict["V"] = .ref(sigRef)
            if widgetRef == field.ref {
                if let ap = appearance(rect: rect, rotation: 0, request: request, writer: &writer) {
                    fieldDict["AP"] = ap
                }
            } else if let widgetRef, var widget = try document.resolveDict(.ref(widgetRef)) {
                if let ap = appearance(rect: rect, rotation: 0, request: request, writer: &writer) { widget["AP"] = ap }
                writer.set(widgetRef, .dict(widget))
            }
            writer.set(field.ref, .dict(fieldDict))
        }
        try FormUpdate.updateAcroForm(
            catalog: catalog, rootRef: rootRef, newField: newField, document: document, writer: &writer)
        let output = writer.write()
        guard let sigPosition = output.positions[sigRef] else { throw PDFError.malformed("layout failed") }
        return try finish(output.bytes, signatureAt: sigPosition, capacity: request.contentsCapacity)
    }

    static let byteRangeWidth = 36

    /// A certification signature with /P 1 permits no changes at all: a new signature would
    /// invalidate it, so the document cannot be signed safely.
    private static func refuseLockedDocument(_ document: PDFDocument, catalog: PDFDict) throws {
        guard let perms = try document.resolveDict(catalog["Perms"]),
            let docMDP = try document.resolveDict(perms["DocMDP"])
        else { return }
        for reference in try document.resolveArray(docMDP["Reference"]) ?? [] {
            guard let ref = try document.resolveDict(reference),
                try document.resolve(ref["TransformMethod"]).name == "DocMDP"
            else { continue }
            let params = try document.resolveDict(ref["TransformParams"])
            if try document.resolve(params?["P"]).int == 1 {
                throw PDFError.malformed("a certification signature forbids any change (DocMDP /P 1)")
            }
        }
    }

    static func signatureDictionary(_ request: PDFSignatureRequest) -> PDFDict {
        let placeholder = "[0 " + Array(repeating: "0000000000", count: 3).joined(separator: " ") + "]"
        var d = PDFDict([
            ("Type", .name("Sig")), ("Filter", .name("Adobe.PPKLite")),
            ("SubFilter", .name("ETSI.CAdES.detached")),
            ("ByteRange", .raw(Array(placeholder.utf8))),
            (
                "Contents",
                .raw(
                    [UInt8(ascii: "<")] + Array(repeating: UInt8(ascii: "0"), count: 2 * request.contentsCapacity) + [
                        UInt8(ascii: ">")
                    ])
            ),
            ("M", .string(Array(PDFSerializer.date(request.signingTime).utf8))),
        ])
        if let name = request.signerName { d["Name"] = PDFSerializer.textString(name) }
        if let reason = request.reason { d["Reason"] = PDFSerializer.textString(reason) }
        if let location = request.location { d["Location"] = PDFSerializer.textString(location) }
        return d
    }

    /// The appearance for `rect` (user space); on a page turned by `rotation` degrees it is drawn
    /// in the displayed orientation and turned back by its /Matrix, so it reads upright.
    private static func appearance(
        rect: [Double], rotation: Int, request: PDFSignatureRequest, writer: inout IncrementalWriter
    ) -> PDFObject? {
        var width = rect[2] - rect[0]
        var height = rect[3] - rect[1]
        guard width > 0, height > 0 else { return nil }
        if rotation % 180 != 0 { swap(&width, &height) }
        let image = request.appearance.image?.write(into: &writer)
        let ref = writer.allocate()
        let stream = AppearanceBuilder.stream(
            width: width, height: height, signerName: request.signerName, date: request.signingTime, rotation: rotation,
            appearance: request.appearance, image: image)
        writer.set(ref, .stream(stream))
        return .dict(PDFDict([("N", .ref(ref))]))
    }

    /// Computes the byte range around the /Contents hole and patches the /ByteRange placeholder.
    private static func finish(_ bytes: [UInt8], signatureAt position: Int, capacity: Int) throws -> PreparedPDF {
        var bytes = bytes
        guard let contentsKey = ByteSearch.find(Array("/Contents <".utf8), in: bytes, from: position),
            let rangeKey = ByteSearch.find(Array("/ByteRange [".utf8), in: bytes, from: position)
        else { throw PDFError.malformed("signature placeholders not found after layout") }
        let a = contentsKey + 10
        let b = a + 2 * capacity + 2
        guard b <= bytes.count, bytes[b - 1] == UInt8(ascii: ">") else {
            throw PDFError.malformed("signature hole misplaced after layout")
        }
        let c = bytes.count - b
        var patch = Array("[0 \(a) \(b) \(c)".utf8)
        guard patch.count < byteRangeWidth else { throw PDFError.malformed("document too large") }
        patch += Array(repeating: UInt8(ascii: " "), count: byteRangeWidth - 1 - patch.count) + [UInt8(ascii: "]")]
        let start = rangeKey + 11
        bytes.replaceSubrange(start..<(start + byteRangeWidth), with: patch)
        return PreparedPDF(bytes: bytes, byteRange: [0, a, b, c])
    }
}
